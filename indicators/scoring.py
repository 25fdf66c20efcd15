"""Points, dimension scores, grade and reasons of one subject from its aggregates (pure code).

A province has a million subjects but few distinct findings: the same count of the same
indicator gives the same points, contribution and reason for everyone. A `ScoringPlan` compiles
a set once per run and remembers, per indicator, what a finding gives, and per combination of
findings, the dimension scores, total, grade and ranked reasons; only the record ids are the
subject's own. Both memories are bounded, so memory does not grow with the number of subjects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from credit.policy.profile import EvaluationProfile, ModuleDirection, VetoCondition
from indicators.aggregation import Aggregate
from indicators.cycles import Cycle, month_start
from indicators.reasons import plain, reason_of
from indicators.rules import (
    AmountTiers,
    Bonus,
    EligibilityRule,
    Indicator,
    MetricThreshold,
    PerRecord,
    SetDocument,
    VetoRule,
)

ZERO = Decimal(0)
FEN = Decimal(100)
MILLIONTHS = Decimal(1_000_000)
TOP_REASONS = 4
HUNDREDTH = Decimal("0.01")  # totals are kept to the hundredth, as stored
VETO_RANK = Decimal("Infinity")  # a veto is always the first reason
BLACK_LIST = str(VetoCondition.BLACK_LIST)  # the indicator and reason code of the list veto
REMEMBERED = 4096  # findings (and combinations) kept per plan before it starts afresh


@dataclass(slots=True)
class Outcome:
    """A subject's result before it is stored."""

    eligible: bool
    total: Decimal | None = None
    grade: str | None = None
    vetoed_by: str | None = None
    dimension_scores: dict[str, Any] = field(default_factory=dict)
    contributions: list[dict[str, Any]] = field(default_factory=list)
    reason_codes: list[dict[str, Any]] = field(default_factory=list)


def _signed(points: Decimal, sign: int) -> str:
    """Points lost show as negative; nothing lost shows as 0, not -0."""
    return plain(points) if sign > 0 or points == ZERO else "-" + plain(points)


def points_of(indicator: Indicator, found: Aggregate) -> Decimal:
    """Unsigned points an indicator gives for what was found."""
    rule = indicator.rule
    if isinstance(rule, PerRecord | Bonus):
        earned = rule.points * found.count
        return min(earned, rule.cap) if rule.cap is not None else earned
    if isinstance(rule, AmountTiers):
        amount = Decimal(found.amount_fen) / FEN
        reached = [tier.points for tier in rule.tiers if amount >= tier.min_amount]
        return reached[-1] if reached else ZERO
    if isinstance(rule, MetricThreshold):
        value = Decimal(found.amount_fen) / MILLIONTHS
        crossed = [step.points for step in rule.thresholds if value > step.above]
        return crossed[-1] if crossed else ZERO
    return ZERO


def _ineligible_from(document: SetDocument, cycle: Cycle) -> date | None:
    """Subjects designated on or after this day are not evaluated (None: all are)."""
    days = [
        month_start(cycle.end.year, cycle.end.month + 1 - indicator.rule.min_designated_months)
        for _, indicator in document.indicators()
        if isinstance(indicator.rule, EligibilityRule)
    ]
    return min(days) if days else None


def is_eligible(document: SetDocument, designated_on: date | None, cycle: Cycle) -> bool:
    """Designated long enough before the cycle ends (persons have no designation date)."""
    cutoff = _ineligible_from(document, cycle)
    return designated_on is None or cutoff is None or designated_on < cutoff


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: a combination's key
class Finding:
    """What one indicator gives for one count (and amount): the same for every subject."""

    points: Decimal
    contribution: dict[str, Any]  # without the subject's record ids
    forced_grade: str | None
    reason: dict[str, Any] | None  # an adverse factor, when it is one
    rank: Decimal


@dataclass(frozen=True, slots=True)
class _Slot:
    indicator: Indicator
    dimension: str
    sign: int
    by_amount: bool  # the amount shows in the reason, so it is part of the finding
    memory: dict[tuple[int, int], Finding | None]


@dataclass(frozen=True, slots=True)
class _Standing:
    total: Decimal
    grade: str | None
    vetoed_by: str | None
    dimension_scores: dict[str, str]
    reasons: tuple[dict[str, Any], ...]


class ScoringPlan:
    """One set, profile and cycle compiled for scoring many subjects."""

    def __init__(self, document: SetDocument, profile: EvaluationProfile, cycle: Cycle) -> None:
        directions = {module.code: module.direction for module in profile.modules}
        self.profile, self.cycle = profile, cycle
        self.ineligible_from = _ineligible_from(document, cycle)
        self.dimensions: list[tuple[str, int, Decimal, list[_Slot]]] = []
        for dimension in document.dimensions:
            sign = 1 if directions[dimension.module] is ModuleDirection.BONUS else -1
            slots = [
                _Slot(
                    indicator,
                    dimension.code,
                    sign,
                    isinstance(indicator.rule, AmountTiers | MetricThreshold),
                    {},
                )
                for indicator in dimension.indicators
            ]
            self.dimensions.append((dimension.code, sign, dimension.weight, slots))
        self.grade_rank: dict[str, Decimal] = {band.grade: band.min for band in profile.grade_bands}
        self.black_list_grade = next(
            (veto.grade for veto in profile.vetoes if veto.when is VetoCondition.BLACK_LIST), None
        )
        self._standings: dict[tuple[Finding, ...], _Standing] = {}

    def _finding(self, slot: _Slot, found: Aggregate) -> Finding | None:
        key = (found.count, found.amount_fen if slot.by_amount else 0)
        if key in slot.memory:
            return slot.memory[key]
        if len(slot.memory) >= REMEMBERED:
            slot.memory.clear()
        indicator, sign = slot.indicator, slot.sign
        rule = indicator.rule
        points = points_of(indicator, found)
        grade = None
        if isinstance(rule, VetoRule):
            grade = rule.grade or self.profile.lowest_grade
        finding = None
        if grade or points != ZERO:
            contribution = {
                "indicator": indicator.code,
                "dimension": slot.dimension,
                "rule": rule.kind,
                "count": found.count,
                "points": _signed(points, sign),
            }
            reason = None
            if sign < 0 or grade:
                reason = reason_of(indicator, found, points, self.cycle, grade)
            rank = points if not grade else VETO_RANK
            finding = Finding(points, contribution, grade, reason, rank)
        slot.memory[key] = finding
        return finding

    def _standing(self, findings: tuple[Finding, ...]) -> _Standing:
        known = self._standings.get(findings)
        if known is not None:
            return known
        if len(self._standings) >= REMEMBERED:
            self._standings.clear()
        by_dimension: dict[str, Decimal] = {}
        adverse: list[Finding] = []
        vetoes: list[tuple[str, str]] = []
        for finding in findings:
            code = finding.contribution["dimension"]
            by_dimension[code] = by_dimension.get(code, ZERO) + finding.points
            if finding.forced_grade:
                vetoes.append((finding.contribution["indicator"], finding.forced_grade))
            if finding.reason is not None:
                adverse.append(finding)
        total = self.profile.base
        scores: dict[str, str] = {}
        for code, sign, weight, _ in self.dimensions:
            score = min(by_dimension.get(code, ZERO), weight)
            scores[code] = _signed(score, sign)
            total += sign * score
        total = max(ZERO, min(total, self.profile.scale)).quantize(HUNDREDTH)
        grade, vetoed_by = self.profile.grade_for(total), None
        if vetoes:
            vetoed_by, grade = min(vetoes, key=lambda veto: self.grade_rank[veto[1]])
        adverse.sort(key=lambda finding: (-finding.rank, finding.contribution["indicator"]))
        reasons = tuple(finding.reason for finding in adverse[:TOP_REASONS] if finding.reason)
        standing = _Standing(total, grade, vetoed_by, scores, reasons)
        self._standings[findings] = standing
        return standing

    def evaluate(self, designated_on: date | None, found: Mapping[str, Aggregate]) -> Outcome:
        """score = clamp(base + bonus − deductions), by the bands; a veto forces its grade."""
        cutoff = self.ineligible_from
        if cutoff is not None and designated_on is not None and designated_on >= cutoff:
            return Outcome(eligible=False)
        findings: list[Finding] = []
        contributions: list[dict[str, Any]] = []
        for _, _, _, slots in self.dimensions:
            for slot in slots:
                aggregate = found.get(slot.indicator.code)
                if aggregate is None:
                    continue
                finding = self._finding(slot, aggregate)
                if finding is None:
                    continue
                findings.append(finding)
                contribution = {**finding.contribution, "record_ids": list(aggregate.record_ids)}
                if finding.forced_grade:
                    contribution["forced_grade"] = finding.forced_grade
                contributions.append(contribution)
        standing = self._standing(tuple(findings))
        return Outcome(
            eligible=True,
            total=standing.total,
            grade=standing.grade,
            vetoed_by=standing.vetoed_by,
            dimension_scores=dict(standing.dimension_scores),
            contributions=contributions,
            # Copies: a caller may reword a subject's reasons (naming the rules behind them).
            reason_codes=[dict(reason) for reason in standing.reasons],
        )

    def veto_black_listed(self, outcome: Outcome, entry_id: int, since: date) -> None:
        """The profile's blacklist veto: the subject was on the blacklist when the run's as_of
        fell, so its grade is forced (Guangdong: E) and that is the first reason it reads."""
        grade = self.black_list_grade
        if grade is None or not outcome.eligible or outcome.grade is None:
            return
        if self.grade_rank[grade] <= self.grade_rank[outcome.grade]:
            outcome.grade, outcome.vetoed_by = grade, BLACK_LIST
        outcome.contributions.append(
            {
                "indicator": BLACK_LIST,
                "dimension": None,
                "rule": "veto",
                "count": 1,
                "points": "0",
                "record_ids": [],
                "forced_grade": grade,
                "list_entry_id": entry_id,
            }
        )
        reason = {
            "code": BLACK_LIST,
            "points_lost": "0",
            "zh": f"自{since.isoformat()}起列入医保领域严重失信主体名单：一票否决，评为{grade}级",
            "en": f"On the blacklist since {since.isoformat()}: grade set to {grade}",
            "list_entry_id": entry_id,
        }
        outcome.reason_codes = [reason, *outcome.reason_codes][:TOP_REASONS]


def evaluate(
    document: SetDocument,
    profile: EvaluationProfile,
    cycle: Cycle,
    designated_on: date | None,
    found: Mapping[str, Aggregate],
) -> Outcome:
    """One subject scored on its own (a chunk scores through one `ScoringPlan`)."""
    return ScoringPlan(document, profile, cycle).evaluate(designated_on, found)
