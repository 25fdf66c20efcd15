"""Reason codes in sentences a subject understands, in Chinese and English."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from indicators.aggregation import Aggregate
from indicators.cycles import Cycle
from indicators.rules import AmountTiers, Indicator, MetricThreshold, RecordMatch

FEN = Decimal(100)
MILLIONTHS = Decimal(1_000_000)


def plain(value: Decimal) -> str:
    """12 rather than 12.00; 2.5 stays 2.5."""
    return format(value.normalize(), "f")


def reason_of(
    indicator: Indicator, found: Aggregate, points: Decimal, cycle: Cycle, grade: str | None
) -> dict[str, Any]:
    """One adverse factor: its code, the points lost and a sentence in each language."""
    rule = indicator.rule
    months = rule.window_months if isinstance(rule, RecordMatch) else None
    when_zh, when_en = cycle.describe(months)
    lost = plain(points)
    if grade is not None:
        zh = f"{when_zh}有{indicator.zh}记录{found.count}条：一票否决，评为{grade}级"
        en = f"{found.count} record(s) of {indicator.en} in {when_en}: grade set to {grade}"
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
        zh = f"{when_zh}{indicator.zh}{found.count}条：扣{lost}分"
        en = f"{found.count} {indicator.en} in {when_en}: −{lost}"
    return {"code": indicator.code, "points_lost": lost, "zh": zh, "en": en}
