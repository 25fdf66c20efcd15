"""Reason codes in sentences a subject understands, in Chinese and English.

A reason names the monitoring rules behind it when its records carry them ("2 confirmed
monitoring violations of rule R-0123 in 2026: −12"). Scoring is pure, so the rules are looked up
afterwards for a whole chunk at once (`name_rules`) and the sentences rendered again with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.records.repository import REVISION, known_at
from indicators.aggregation import Aggregate
from indicators.cycles import Cycle
from indicators.rules import AmountTiers, Indicator, MetricThreshold, RecordMatch, SetDocument

if TYPE_CHECKING:  # scoring imports this module
    from indicators.scoring import Outcome

FEN = Decimal(100)
MILLIONTHS = Decimal(1_000_000)
LOOKUP_BATCH = 1000  # record ids per IN list


def plain(value: Decimal) -> str:
    """12 rather than 12.00; 2.5 stays 2.5."""
    return format(value.normalize(), "f")


def singular(noun: str) -> str:
    """'confirmed monitoring violations' → 'confirmed monitoring violation' (the last word)."""
    head, _, last = noun.rpartition(" ")
    if last.endswith("ies") and len(last) > 3:
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head} {last}" if head else last


def counted(count: int, noun: str) -> str:
    """'1 violation', '2 violations': the indicator's English name is plural."""
    return f"{count} {singular(noun) if count == 1 else noun}"


def _rules_en(codes: Sequence[str]) -> str:
    if not codes:
        return ""
    if len(codes) == 1:
        return f" of rule {codes[0]}"
    return f" of rules {', '.join(codes[:-1])} and {codes[-1]}"


def _rules_zh(codes: Sequence[str]) -> str:
    return f"（监控规则{'、'.join(codes)}）" if codes else ""


def reason_of(
    indicator: Indicator,
    found: Aggregate,
    points: Decimal,
    cycle: Cycle,
    grade: str | None,
    rule_codes: Sequence[str] = (),
) -> dict[str, Any]:
    """One adverse factor: its code, the points lost and a sentence in each language."""
    rule = indicator.rule
    months = rule.window_months if isinstance(rule, RecordMatch) else None
    when_zh, when_en = cycle.describe(months)
    lost = plain(points)
    count = found.count
    if grade is not None:
        records = "1 record" if count == 1 else f"{count} records"
        rules_zh, rules_en = _rules_zh(rule_codes), _rules_en(rule_codes)
        zh = f"{when_zh}有{indicator.zh}记录{count}条{rules_zh}：一票否决，评为{grade}级"
        en = f"{records} of {indicator.en}{rules_en} in {when_en}: grade set to {grade}"
    elif isinstance(rule, AmountTiers):
        amount = plain(Decimal(found.amount_fen) / FEN)
        zh = f"{when_zh}{indicator.zh}合计{amount}元：扣{lost}分"
        en = f"{indicator.en.capitalize()} totalling ¥{amount} in {when_en}: −{lost}"
    elif isinstance(rule, MetricThreshold):
        value = Decimal(found.amount_fen) / MILLIONTHS
        crossed = max(step.above for step in rule.thresholds if value > step.above)
        zh = f"{when_zh}{indicator.zh}{value:.1%}，超过{crossed:.1%}：扣{lost}分"
        en = (
            f"{indicator.en.capitalize()} of {value:.1%} in {when_en}, above {crossed:.1%}: −{lost}"
        )
    else:
        zh = f"{when_zh}{indicator.zh}{count}条{_rules_zh(rule_codes)}：扣{lost}分"
        en = f"{counted(count, indicator.en)}{_rules_en(rule_codes)} in {when_en}: −{lost}"
    reason: dict[str, Any] = {"code": indicator.code, "points_lost": lost, "zh": zh, "en": en}
    if rule_codes:
        reason["rule_codes"] = list(rule_codes)
    return reason


async def _rule_codes(
    session: AsyncSession, record_ids: set[int], as_of: datetime | None
) -> dict[int, str]:
    """{record id: monitoring rule code} as known at `as_of`, for records that carry one."""
    found: dict[int, str] = {}
    ordered = sorted(record_ids)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        query = select(REVISION.record_id, REVISION.rule_code).where(
            REVISION.record_id.in_(ordered[start : start + LOOKUP_BATCH]),
            known_at(as_of),
            REVISION.rule_code.is_not(None),
        )
        found.update(
            {int(row.record_id): str(row.rule_code) for row in await session.execute(query)}
        )
    return found


async def name_rules(
    session: AsyncSession,
    document: SetDocument,
    cycle: Cycle,
    outcomes: Sequence[Outcome],
    as_of: datetime | None = None,
) -> None:
    """Render again, naming their monitoring rules, the count reasons whose records have them."""
    indicators = {indicator.code: indicator for _, indicator in document.indicators()}
    # (reason, the contribution behind it) for every reason that counts records.
    counted_reasons: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for outcome in outcomes:
        by_code = {entry["indicator"]: entry for entry in outcome.contributions}
        for reason in outcome.reason_codes:
            contribution = by_code.get(reason["code"])
            indicator = indicators.get(reason["code"])
            if contribution is None or indicator is None:
                continue
            if not isinstance(indicator.rule, AmountTiers | MetricThreshold):
                counted_reasons.append((reason, contribution))
    wanted = {record_id for _, entry in counted_reasons for record_id in entry["record_ids"]}
    if not wanted:
        return
    codes = await _rule_codes(session, wanted, as_of)
    for reason, contribution in counted_reasons:
        named = sorted({codes[i] for i in contribution["record_ids"] if i in codes})
        if not named:
            continue
        found = Aggregate(contribution["count"], 0, tuple(contribution["record_ids"]))
        grade = contribution.get("forced_grade")
        points = Decimal(reason["points_lost"])
        reason.update(reason_of(indicators[reason["code"]], found, points, cycle, grade, named))
