"""Points, dimension scores, grade and reasons of one subject from its aggregates (pure code)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from credit.policy.profile import EvaluationProfile, ModuleDirection
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


def is_eligible(document: SetDocument, designated_on: date | None, cycle: Cycle) -> bool:
    """Designated long enough before the cycle ends (persons have no designation date)."""
    for _, indicator in document.indicators():
        rule = indicator.rule
        if isinstance(rule, EligibilityRule) and designated_on is not None:
            after = month_start(cycle.end.year, cycle.end.month + 1 - rule.min_designated_months)
            if designated_on >= after:
                return False
    return True


def evaluate(
    document: SetDocument,
    profile: EvaluationProfile,
    cycle: Cycle,
    designated_on: date | None,
    found: Mapping[str, Aggregate],
) -> Outcome:
    """score = clamp(base + bonus − deductions), graded by the bands; a veto forces its grade."""
    if not is_eligible(document, designated_on, cycle):
        return Outcome(eligible=False)
    directions = {module.code: module.direction for module in profile.modules}
    outcome = Outcome(eligible=True)
    adverse: list[tuple[Decimal, dict[str, Any]]] = []
    vetoes: list[tuple[str, str]] = []
    total = profile.base
    for dimension in document.dimensions:
        sign = 1 if directions[dimension.module] is ModuleDirection.BONUS else -1
        earned = ZERO
        for indicator in dimension.indicators:
            aggregate = found.get(indicator.code)
            if aggregate is None:
                continue
            rule = indicator.rule
            points = points_of(indicator, aggregate)
            grade = None
            if isinstance(rule, VetoRule):
                grade = rule.grade or profile.lowest_grade
                vetoes.append((indicator.code, grade))
            elif points == ZERO:
                continue
            earned += points
            outcome.contributions.append(
                {
                    "indicator": indicator.code,
                    "dimension": dimension.code,
                    "rule": rule.kind,
                    "count": aggregate.count,
                    "points": _signed(points, sign),
                    "record_ids": list(aggregate.record_ids),
                    **({"forced_grade": grade} if grade else {}),
                }
            )
            if sign < 0 or grade:
                reason = reason_of(indicator, aggregate, points, cycle, grade)
                adverse.append((points if not grade else Decimal("Infinity"), reason))
        score = min(earned, dimension.weight)
        outcome.dimension_scores[dimension.code] = _signed(score, sign)
        total += sign * score
    outcome.total = max(ZERO, min(total, profile.scale)).quantize(HUNDREDTH)
    outcome.grade = profile.grade_for(outcome.total)
    if vetoes:
        rank: dict[str, Decimal] = {band.grade: band.min for band in profile.grade_bands}
        outcome.vetoed_by, outcome.grade = min(vetoes, key=lambda veto: rank[veto[1]])
    adverse.sort(key=lambda pair: (-pair[0], pair[1]["code"]))
    outcome.reason_codes = [reason for _, reason in adverse[:TOP_REASONS]]
    return outcome
