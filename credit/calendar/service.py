"""Working days of the Chinese calendar: holidays and make-up workdays (调休) included.

Known years come from the maintained `chinesecalendar` package; a year the regulator loaded
overrides it (a new year's schedule is announced each winter, before the package catches up).
A date past what is known falls back to weekends-only, and every answer says whether it was
exact, so a deadline is always computed and never silently wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from chinese_calendar import constants as package
from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.calendar import repository
from credit.calendar.models import CalendarYear
from credit.calendar.schemas import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarSource,
    CalendarYearPublic,
    ScheduleInput,
)
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import InvalidInput

SATURDAY = 5
# Statutory deadlines are at most a few months of working days; the bound keeps a typo finite.
MAX_WORKING_DAYS = 3660
ONE_DAY = timedelta(days=1)


# Shown wherever a date or count was computed without a known holiday schedule.
FALLBACK_WARNING = (
    "节假日安排未知，按仅周末休息计算 — the official holiday schedule of a year crossed is not "
    "known yet, so only weekends were counted as days off; load the year's schedule to be exact"
)


def fallback_warning(exact: bool) -> str | None:
    """The warning to show beside a date or count, or None when it is exact."""
    return None if exact else FALLBACK_WARNING


@dataclass(frozen=True, slots=True)
class WorkingDate:
    date: date
    exact: bool  # False when a weekends-only year was crossed

    @property
    def warning(self) -> str | None:
        return fallback_warning(self.exact)


@dataclass(frozen=True, slots=True)
class WorkingDayCount:
    days: int
    exact: bool

    @property
    def warning(self) -> str | None:
        return fallback_warning(self.exact)


@dataclass(frozen=True, slots=True)
class Schedule:
    holidays: frozenset[date]
    workdays: frozenset[date]


@cache
def package_schedules() -> Mapping[int, Schedule]:
    """The years the calendar package covers, with their days off and make-up workdays."""
    years: dict[int, tuple[set[date], set[date]]] = {}
    for day in package.holidays:
        years.setdefault(day.year, (set(), set()))[0].add(day)
    for day in package.workdays:
        if day.year in years:
            years[day.year][1].add(day)
    return {
        year: Schedule(frozenset(off), frozenset(worked)) for year, (off, worked) in years.items()
    }


def _is_weekend(day: date) -> bool:
    return day.weekday() >= SATURDAY


class WorkingCalendar:
    """Loaded years first, then the package, then weekends only."""

    def __init__(self, loaded: Mapping[int, Schedule]) -> None:
        self.loaded = dict(loaded)

    def source(self, year: int) -> CalendarSource:
        if year in self.loaded:
            return CalendarSource.LOADED
        if year in package_schedules():
            return CalendarSource.PACKAGE
        return CalendarSource.WEEKENDS_ONLY

    def schedule(self, year: int) -> Schedule | None:
        return self.loaded.get(year) or package_schedules().get(year)

    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """(whether `day` is a working day, whether that is known rather than assumed)."""
        schedule = self.schedule(day.year)
        if schedule is None:
            return not _is_weekend(day), False
        if day in schedule.workdays:
            return True, True
        return not (_is_weekend(day) or day in schedule.holidays), True

    def add(self, start: date, days: int) -> WorkingDate:
        """The date `days` working days after `start` (`start` itself is not counted)."""
        day, left, exact = start, days, True
        while left > 0:
            day += ONE_DAY
            working, known = self.is_working_day(day)
            exact = exact and known
            left -= working
        return WorkingDate(day, exact)

    def between(self, start: date, end: date) -> WorkingDayCount:
        """Working days after `start` up to and including `end` (0 when `end` is not later)."""
        day, count, exact = start, 0, True
        while day < end:
            day += ONE_DAY
            working, known = self.is_working_day(day)
            exact = exact and known
            count += working
        return WorkingDayCount(count, exact)


def _schedule_of(row: CalendarYear) -> Schedule:
    return Schedule(
        frozenset(date.fromisoformat(day) for day in row.holidays),
        frozenset(date.fromisoformat(day) for day in row.workdays),
    )


async def calendar(session: AsyncSession) -> WorkingCalendar:
    """The calendar as known now: one small read of the loaded years."""
    rows = await repository.loaded_years(session)
    return WorkingCalendar({row.year: _schedule_of(row) for row in rows})


async def add_working_days(session: AsyncSession, start: date, days: int) -> WorkingDate:
    """The date `days` working days after `start`, and whether every day crossed was known."""
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise InvalidInput(
            f"working days must lie within 0–{MAX_WORKING_DAYS}, not {days}",
            field="days",
            rule="range",
        )
    return (await calendar(session)).add(start, days)


async def working_days_between(session: AsyncSession, start: date, end: date) -> WorkingDayCount:
    """Working days after `start` through `end`, and whether every day counted was known."""
    return (await calendar(session)).between(start, end)


def _check_dates(year: int, name: str, days: Iterable[date]) -> list[date]:
    seen: set[date] = set()
    for index, day in enumerate(days):
        where = f"{name}[{index}]"
        if day.year != year:
            raise InvalidInput(f"{day.isoformat()} is not in {year}", field=where, rule="in_year")
        if day in seen:
            raise InvalidInput(f"{day.isoformat()} is listed twice", field=where, rule="unique")
        if name == "workdays" and not _is_weekend(day):
            raise InvalidInput(
                f"{day.isoformat()} is a weekday; a make-up workday (调休) is a Saturday or Sunday",
                field=where,
                rule="weekend",
            )
        seen.add(day)
    return sorted(seen)


def check_schedule(year: int, schedule: ScheduleInput) -> tuple[list[date], list[date]]:
    """Sorted holidays and workdays, or InvalidInput naming the first broken field."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"year {year} lies outside {FIRST_YEAR}–{LAST_YEAR}", field="year", rule="range"
        )
    if not schedule.holidays:
        raise InvalidInput(
            "a year's schedule names its holidays", field="holidays", rule="required"
        )
    holidays = _check_dates(year, "holidays", schedule.holidays)
    workdays = _check_dates(year, "workdays", schedule.workdays)
    for index, day in enumerate(schedule.workdays):
        if day in holidays:
            raise InvalidInput(
                f"{day.isoformat()} is both a holiday and a workday",
                field=f"workdays[{index}]",
                rule="not_both",
            )
    return holidays, workdays


async def load_year(
    session: AsyncSession, actor: Actor, year: int, schedule: ScheduleInput
) -> CalendarYearPublic:
    """Store (or replace) a year's official schedule; it overrides the package from now on."""
    holidays, workdays = check_schedule(year, schedule)
    row = await repository.get_year(session, year) or CalendarYear(
        year=year, holidays=[], workdays=[], source="", loaded_by="", loaded_at=utcnow()
    )
    replaced = bool(row.holidays)
    row.holidays = [day.isoformat() for day in holidays]
    row.workdays = [day.isoformat() for day in workdays]
    row.source = schedule.source or f"loaded by {actor.name}"
    row.loaded_by, row.loaded_at = actor.name, utcnow()
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "calendar.load",
        "calendar_year",
        year,
        {"holidays": len(holidays), "workdays": len(workdays), "replaced": replaced},
    )
    return await year_view(session, year)


async def year_view(session: AsyncSession, year: int) -> CalendarYearPublic:
    """A year as the deadlines see it: where it comes from, its days off and make-up days."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"year {year} lies outside {FIRST_YEAR}–{LAST_YEAR}", field="year", rule="range"
        )
    known = await calendar(session)
    schedule = known.schedule(year) or Schedule(frozenset(), frozenset())
    last_of_previous = date(year, 1, 1) - ONE_DAY
    counted = known.between(last_of_previous, date(year, 12, 31))
    return CalendarYearPublic(
        year=year,
        source=known.source(year),
        exact=counted.exact,
        holidays=sorted(schedule.holidays),
        workdays=sorted(schedule.workdays),
        working_days=counted.days,
        warning=counted.warning,
    )
