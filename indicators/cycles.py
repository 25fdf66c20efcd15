"""Evaluation cycles: `2025` (annual), `2026Q3` (quarterly), `2026-03` (monthly), Shanghai dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from credit.kernel.errors import InvalidInput

_ANNUAL = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Medical-security credit evaluation began well after 2000; the bounds keep dates computable.
FIRST_YEAR, LAST_YEAR = 2000, 2999


def month_start(year: int, month: int) -> date:
    """The first day of a month, months counted past December or before January."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


@dataclass(frozen=True, slots=True)
class Cycle:
    code: str
    start: date
    end: date  # inclusive

    def window_start(self, months: int | None) -> date:
        """First day of a window of `months` ending with the cycle (the cycle itself if None)."""
        if months is None:
            return self.start
        after = self.end + timedelta(days=1)
        return month_start(after.year, after.month - months)

    def describe(self, months: int | None) -> tuple[str, str]:
        """(zh, en) words for the window, as a subject reads them in a reason."""
        if months is not None:
            end = self.end.isoformat()
            return f"截至{end}的{months}个月内", f"the {months} months to {end}"
        if match := _QUARTER.match(self.code):
            return f"{match[1]}年第{match[2]}季度", f"{match[1]} Q{match[2]}"
        if match := _MONTH.match(self.code):
            return f"{match[1]}年{int(match[2])}月", self.start.strftime("%B %Y")
        return f"{self.code}年度", self.code


def parse_cycle(code: str, today: date) -> Cycle:
    """The cycle named by `code`; a cycle that has not started yet is refused."""
    year = int(code[:4]) if code[:4].isdigit() else 0
    if (_ANNUAL.match(code) or _QUARTER.match(code) or _MONTH.match(code)) and not (
        FIRST_YEAR <= year <= LAST_YEAR
    ):
        raise InvalidInput(
            f"cycle {code} lies outside {FIRST_YEAR}–{LAST_YEAR}", field="cycle", rule="cycle_year"
        )
    if match := _ANNUAL.match(code):
        cycle = Cycle(code, date(year, 1, 1), date(year, 12, 31))
    elif match := _QUARTER.match(code):
        year, quarter = int(match[1]), int(match[2])
        start = date(year, 3 * quarter - 2, 1)
        cycle = Cycle(code, start, month_start(year, 3 * quarter + 1) - timedelta(days=1))
    elif match := _MONTH.match(code):
        start = date(int(match[1]), int(match[2]), 1)
        cycle = Cycle(code, start, month_start(start.year, start.month + 1) - timedelta(days=1))
    else:
        raise InvalidInput(
            f"cycle {code!r} is not a year (2025), a quarter (2026Q3) or a month (2026-03)",
            field="cycle",
            rule="cycle_format",
        )
    if cycle.start > today:
        raise InvalidInput(
            f"cycle {code} starts on {cycle.start.isoformat()}, after today ({today.isoformat()})",
            field="cycle",
            rule="cycle_not_future",
        )
    return cycle
