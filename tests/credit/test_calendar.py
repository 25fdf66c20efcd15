"""Working days: holidays and 调休 from the package or a loaded year, weekends-only beyond."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from api.db import Database
from credit.calendar import files, service
from credit.calendar.schemas import CalendarSource, ScheduleInput
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import InvalidInput

FAR_YEAR = 2990  # no package release and no loaded schedule will ever know it


async def test_national_day_and_its_make_up_saturday_are_counted(db: Database) -> None:
    async with db.transaction() as session:
        after = await service.add_working_days(session, date(2026, 9, 30), 5)
        span = await service.working_days_between(session, date(2026, 9, 30), date(2026, 10, 12))
    # 1–7 October off; Thursday 8, Friday 9, Saturday 10 (调休), Monday 12, Tuesday 13.
    assert after == service.WorkingDate(date(2026, 10, 13), exact=True)
    assert (span.days, span.exact) == (4, True)


async def test_a_year_nobody_knows_falls_back_to_weekends_and_says_so(db: Database) -> None:
    async with db.transaction() as session:
        after = await service.add_working_days(session, date(FAR_YEAR, 1, 1), 3)
        year = await service.year_view(session, FAR_YEAR)
    assert after.exact is False
    assert after.date.weekday() < 5
    assert (year.source, year.exact, year.holidays) == (CalendarSource.WEEKENDS_ONLY, False, [])


async def test_a_loaded_year_overrides_the_package(db: Database) -> None:
    async with db.transaction() as session:
        before = await service.add_working_days(session, date(2026, 3, 1), 1)
        await service.load_year(
            session, SYSTEM_ACTOR, 2026, ScheduleInput(holidays=[date(2026, 3, 2)])
        )
        after = await service.add_working_days(session, date(2026, 3, 1), 1)
        year = await service.year_view(session, 2026)
    assert (before.date, after.date) == (date(2026, 3, 2), date(2026, 3, 3))
    assert (year.source, year.holidays) == (CalendarSource.LOADED, [date(2026, 3, 2)])


async def test_shipped_2026_schedule_loads_once(db: Database) -> None:
    async with db.transaction() as session:
        assert await files.ensure_shipped(session, SYSTEM_ACTOR) == [2026]
        assert await files.ensure_shipped(session, SYSTEM_ACTOR) == []
        year = await service.year_view(session, 2026)
    assert year.source is CalendarSource.LOADED
    assert date(2026, 2, 14) in year.workdays
    assert date(2026, 2, 23) in year.holidays
    assert (len(year.holidays), len(year.workdays)) == (33, 6)


@pytest.mark.parametrize(
    ("text", "field", "rule"),
    [
        ("year: 2027\nholidays: [2026-12-31]\n", "holidays[0]", "in_year"),
        ("year: 2027\nholidays: [2027-01-01, 2027-01-01]\n", "holidays[1]", "unique"),
        ("year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-04]\n", "workdays[0]", "weekend"),
        ("year: 2027\nholidays: [2027-01-02]\nworkdays: [2027-01-02]\n", "workdays[0]", "not_both"),
        ("year: 2027\nholidays: []\n", "holidays", "required"),
        ("year: 1999\nholidays: [1999-01-01]\n", "year", "greater_than_equal"),
        ("year: 2027\nholidays: [not-a-date]\n", "holidays[0]", "date_from_datetime_parsing"),
        ("year: 2027\nholiday: [2027-01-01]\n", "holidays", "missing"),
        ("- 2027\n", "file", "mapping"),
        ("year: [2027\n", "file", "syntax"),
    ],
)
def test_a_bad_schedule_file_names_the_field(text: str, field: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        files.parse_schedule(text, json_format=False)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_json_and_unknown_suffixes(tmp_path: Path) -> None:
    good = tmp_path / "2027.json"
    good.write_text('{"year": 2027, "holidays": ["2027-01-01"], "workdays": []}')
    assert files.read_schedule(good).holidays == [date(2027, 1, 1)]
    other = tmp_path / "2027.txt"
    other.write_text("year: 2027")
    with pytest.raises(InvalidInput) as refused:
        files.read_schedule(other)
    assert refused.value.rule == "format"


async def test_negative_or_huge_day_counts_are_refused(db: Database) -> None:
    async with db.transaction() as session:
        for days in (-1, service.MAX_WORKING_DAYS + 1):
            with pytest.raises(InvalidInput) as refused:
                await service.add_working_days(session, date(2026, 1, 5), days)
            assert refused.value.field == "days"


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Spring Festival 2025 (package): Sunday 26 January worked, 28 January–4 February off,
        # Saturday 8 February worked.
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        (date(2025, 1, 24), 3, date(2025, 2, 5)),
        (date(2025, 1, 24), 6, date(2025, 2, 8)),
        (date(2025, 1, 24), 7, date(2025, 2, 10)),
        # Spring Festival 2026: Saturday 14 February worked, 15–23 February off, Saturday
        # 28 February worked.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 24), 4, date(2026, 2, 28)),
        (date(2026, 2, 24), 5, date(2026, 3, 2)),
        # National Day 2025: 1–8 October off, Saturday 11 October worked.
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 9, 30), 3, date(2025, 10, 11)),
        # National Day 2026 (DESIGN 10a): 1–7 October off, Saturday 10 October worked.
        (date(2026, 9, 30), 3, date(2026, 10, 10)),
        # A holiday start does not count itself; zero days is the start.
        (date(2026, 10, 3), 1, date(2026, 10, 8)),
        (date(2026, 10, 3), 0, date(2026, 10, 3)),
    ],
)
async def test_deadlines_across_spring_festival_and_national_day(
    db: Database, start: date, days: int, expected: date
) -> None:
    async with db.transaction() as session:
        found = await service.add_working_days(session, start, days)
    assert (found.date, found.exact, found.warning) == (expected, True, None)


async def test_working_days_left_across_the_spring_festival(db: Database) -> None:
    async with db.transaction() as session:
        left = await service.working_days_between(session, date(2026, 2, 13), date(2026, 2, 24))
        none_left = await service.working_days_between(
            session, date(2026, 2, 24), date(2026, 2, 13)
        )
    assert (left.days, left.exact) == (2, True)  # the 14th (调休) and the 24th
    assert none_left.days == 0


async def test_crossing_into_an_unknown_year_warns_and_still_answers(db: Database) -> None:
    async with db.transaction() as session:
        known = await service.add_working_days(session, date(2026, 12, 28), 3)
        crossing = await service.add_working_days(session, date(2026, 12, 30), 5)
        count = await service.working_days_between(session, date(2026, 12, 30), date(2027, 1, 8))
        year = await service.year_view(session, 2027)
    assert (known.date, known.exact, known.warning) == (date(2026, 12, 31), True, None)
    # Weekends only: 31 December, then 1, 4, 5 and 6 January 2027 (1 January counted as work).
    assert (crossing.date, crossing.exact) == (date(2027, 1, 6), False)
    assert crossing.warning == service.FALLBACK_WARNING
    assert (count.exact, count.warning) == (False, service.FALLBACK_WARNING)
    assert (year.source, year.exact, year.warning) == (
        CalendarSource.WEEKENDS_ONLY,
        False,
        service.FALLBACK_WARNING,
    )


async def test_loading_the_new_year_makes_its_deadlines_exact(db: Database) -> None:
    schedule = ScheduleInput(
        holidays=[date(2027, 1, 1)], workdays=[], source="国务院办公厅通知 (test)"
    )
    async with db.transaction() as session:
        await service.load_year(session, SYSTEM_ACTOR, 2027, schedule)
        crossing = await service.add_working_days(session, date(2026, 12, 30), 5)
        year = await service.year_view(session, 2027)
    assert (crossing.date, crossing.exact, crossing.warning) == (date(2027, 1, 7), True, None)
    assert (year.source, year.warning) == (CalendarSource.LOADED, None)
