"""Checking one metrics row: every broken rule is named with its field, not just the first.

Conventions a sender must know (they are also in the import help):
- `period` is a month `2026-03`, a quarter `2026Q1` or a year `2026`, and not in the future.
- Money is yuan, non-negative, at most two decimal places (`1,234.50` is read as 1234.50).
- Rates are fractions from 0 to 1 (`0.035`); a value ending in `%` is a percentage (`3.5%`).
  A bare number above 1 is refused rather than guessed to be a percentage.
- `average_cost` may be left out; it is then total_cost / discharges, rounded to the fen.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from credit.kernel.db import ID_MAX
from credit.metrics.models import RATE_PLACES, PeriodKind

FEN = Decimal("0.01")
MAX_YUAN = Decimal(10) ** 13
REQUIRED = ("subject_id", "period", "discharges", "total_cost", "fund_payment")
OPTIONAL = ("average_cost", "refusal_rate", "suspect_rate")
SOURCE = ("source_system", "source_ref")
COLUMNS = (*REQUIRED, *SOURCE, *OPTIONAL)
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2})|-?[Qq](?P<quarter>[1-4]))?$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class MetricValues:
    """A valid row, normalised (period `2026Q1`, Decimals quantised)."""

    subject_id: int
    period: str
    period_kind: PeriodKind
    period_start: date
    period_end: date
    discharges: int
    total_cost: Decimal
    fund_payment: Decimal
    average_cost: Decimal
    refusal_rate: Decimal | None
    suspect_rate: Decimal | None
    source_system: str
    source_ref: str

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def payload(self) -> tuple[Any, ...]:
        """What must match for a resent row to count as the same row."""
        return (
            self.subject_id,
            self.period,
            self.discharges,
            self.total_cost,
            self.fund_payment,
            self.average_cost,
            self.refusal_rate,
            self.suspect_rate,
        )


class RuleError(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def parse_period(text: str, today: date) -> tuple[str, PeriodKind, date, date]:
    """Normalised period, its kind, first and last day; `RuleError` if malformed or future."""
    match = _PERIOD.match(text.strip())
    if match is None:
        raise RuleError(
            "period_format", f"{text!r} is not a period such as 2026-03, 2026Q1 or 2026"
        )
    year = int(match["year"])
    if not 1990 <= year <= 2200:
        raise RuleError("period_format", f"year {year} is out of range")
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise RuleError("period_format", f"month {month} does not exist")
        last = calendar.monthrange(year, month)[1]
        found = (
            f"{year}-{month:02d}",
            PeriodKind.MONTH,
            date(year, month, 1),
            date(year, month, last),
        )
    elif match["quarter"]:
        quarter = int(match["quarter"])
        first_month = 3 * quarter - 2
        last = calendar.monthrange(year, first_month + 2)[1]
        found = (
            f"{year}Q{quarter}",
            PeriodKind.QUARTER,
            date(year, first_month, 1),
            date(year, first_month + 2, last),
        )
    else:
        found = (str(year), PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))
    if found[2] > today:
        raise RuleError("not_future", f"period {found[0]} has not begun yet")
    return found


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise RuleError("number", f"{value!r} is not a number")
    text = str(value).strip()
    if _GROUPED.match(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RuleError("number", f"{value!r} is not a number") from None
    if not number.is_finite():
        raise RuleError("number", f"{value!r} is not a number")
    return number


def parse_yuan(value: Any) -> Decimal:
    amount = _decimal(value)
    if amount < 0:
        raise RuleError("not_negative", f"{amount} is negative; amounts are yuan ≥ 0")
    if amount != amount.quantize(FEN):
        raise RuleError("fen", f"{amount} has more than two decimal places")
    if amount >= MAX_YUAN:
        raise RuleError("range", f"{amount} is beyond any plausible amount")
    return amount.quantize(FEN)


def parse_rate(value: Any) -> Decimal:
    text = str(value).strip()
    percent = text.endswith("%")
    rate = _decimal(text[:-1]) / 100 if percent else _decimal(value)
    if rate < 0 or rate > 1:
        shown = f"{text}" if percent else f"{rate}"
        hint = "" if percent else "; rates are fractions 0–1 (0.035), or write a percentage as 3.5%"
        raise RuleError("rate_range", f"{shown} is outside 0–100%{hint}")
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _whole(value: Any, *, low: int, high: int) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise RuleError("whole_number", f"{value!r} is not a whole number")
    if not low <= number <= high:
        raise RuleError("range", f"{number} is outside {low}–{high}")
    return int(number)


def _text(value: Any, limit: int) -> str:
    text = str(value).strip()
    if not text or len(text) > limit or not text.isprintable():
        raise RuleError("text", f"must be printable text of 1–{limit} characters")
    return text


def check_row(row: Mapping[str, Any], today: date) -> MetricValues | list[FieldError]:
    """The row's normalised values, or every rule it breaks."""
    errors = [
        FieldError(name, "known_field", f"{name} is not a metrics field")
        for name in row
        if name not in COLUMNS
    ]
    errors += [
        FieldError(name, "required", f"{name} is required")
        for name in (*REQUIRED, *SOURCE)
        if row.get(name) in (None, "")
    ]
    parsers = {
        "subject_id": lambda v: _whole(v, low=1, high=ID_MAX),
        "period": lambda v: parse_period(str(v), today),
        "discharges": lambda v: _whole(v, low=0, high=10**9),
        "total_cost": parse_yuan,
        "fund_payment": parse_yuan,
        "average_cost": parse_yuan,
        "refusal_rate": parse_rate,
        "suspect_rate": parse_rate,
        "source_system": lambda v: _text(v, 40),
        "source_ref": lambda v: _text(v, 100),
    }
    parsed: dict[str, Any] = {}
    for name, parse in parsers.items():
        value = row.get(name)
        if value in (None, ""):
            continue
        try:
            parsed[name] = parse(value)
        except RuleError as refused:
            errors.append(FieldError(name, refused.rule, f"{name}: {refused}"))
    if errors:
        return errors
    return _consistent(parsed)


def _consistent(parsed: dict[str, Any]) -> MetricValues | list[FieldError]:
    """Cross-field rules: the fund pays no more than the total; the average fits the sum."""
    discharges: int = parsed["discharges"]
    total: Decimal = parsed["total_cost"]
    errors: list[FieldError] = []
    if parsed["fund_payment"] > total:
        errors.append(
            FieldError(
                "fund_payment",
                "fund_within_total",
                f"fund_payment {parsed['fund_payment']} exceeds total_cost {total}",
            )
        )
    expected = (total / discharges).quantize(FEN, ROUND_HALF_UP) if discharges else Decimal("0.00")
    average = parsed.get("average_cost", expected)
    # A source system may round differently; more than a fen apart is a different figure.
    if abs(average - expected) > FEN:
        errors.append(
            FieldError(
                "average_cost",
                "average_consistent",
                f"average_cost {average} does not match total_cost / discharges = {expected}",
            )
        )
    if errors:
        return errors
    period, kind, start, end = parsed["period"]
    return MetricValues(
        subject_id=parsed["subject_id"],
        period=period,
        period_kind=kind,
        period_start=start,
        period_end=end,
        discharges=discharges,
        total_cost=total,
        fund_payment=parsed["fund_payment"],
        average_cost=average,
        refusal_rate=parsed.get("refusal_rate"),
        suspect_rate=parsed.get("suspect_rate"),
        source_system=parsed["source_system"],
        source_ref=parsed["source_ref"],
    )
