"""Deadlines in Chinese working days: the Spring Festival and National Day with their make-up
workdays (调休), the weekends-only fallback past the known years, and the days left."""

from __future__ import annotations

from datetime import date

from api.db import Database
from credit.calendar.service import calendar
from repair import views
from tests.repair.support import (
    OFFICER,
    add_record,
    file_objection,
    hospital,
    move_objection,
    seed,
    subject_actor,
)


async def _record(db: Database) -> tuple[int, int]:
    await seed(db)
    subject_id = await hospital(db, 1)
    # General tier: published twelve months from its decision, so disputable all of 2026.
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", "2025-12-01", "r")
    return subject_id, record_id


async def test_across_the_spring_festival(db: Database) -> None:
    subject_id, record_id = await _record(db)
    filed = await file_objection(
        db,
        subject_actor(subject_id),
        target_type="record",
        target_id=record_id,
        today=date(2026, 2, 12),
    )
    # Friday 13 February, then Saturday 14 February is a make-up workday.
    assert (filed.deadline, filed.deadline_exact) == (date(2026, 2, 14), True)
    accepted = await move_objection(db, OFFICER, filed.id or 0, "accepted", today=date(2026, 2, 14))
    # 15–23 February are days off; Saturday 28 February is worked.
    assert accepted.deadline == date(2026, 3, 6)
    async with db.transaction() as session:
        known = await calendar(session)
    before = views.objection_public(known, accepted, date(2026, 2, 12))
    assert before.deadline is not None
    assert (before.deadline.working_days_left, before.deadline.overdue) == (12, False)
    late = views.objection_public(known, accepted, date(2026, 3, 9))
    assert late.deadline is not None
    assert (late.deadline.working_days_left, late.deadline.overdue) == (-1, True)
    extended = await move_objection(
        db, OFFICER, filed.id or 0, "extended", reason="需要补充调查", today=date(2026, 3, 2)
    )
    assert extended.deadline == date(2026, 3, 20)


async def test_across_national_day(db: Database) -> None:
    subject_id, record_id = await _record(db)
    filed = await file_objection(
        db,
        subject_actor(subject_id),
        target_type="record",
        target_id=record_id,
        today=date(2026, 9, 29),
    )
    # Wednesday 30 September, then the holiday week: Thursday 8 October.
    assert filed.deadline == date(2026, 10, 8)
    accepted = await move_objection(db, OFFICER, filed.id or 0, "accepted", today=date(2026, 9, 29))
    # 1–7 October off, Saturday 10 October worked.
    assert (accepted.deadline, accepted.deadline_exact) == (date(2026, 10, 19), True)


async def test_past_the_known_calendar_weekends_only_with_a_warning(db: Database) -> None:
    subject_id, record_id = await _record(db)
    filed = await file_objection(
        db,
        subject_actor(subject_id),
        target_type="record",
        target_id=record_id,
        today=date(2026, 11, 30),
    )
    accepted = await move_objection(
        db, OFFICER, filed.id or 0, "accepted", today=date(2026, 12, 24)
    )
    # 2027 is not in the calendar package: counted on weekdays, and flagged.
    assert (accepted.deadline, accepted.deadline_exact) == (date(2027, 1, 7), False)
    async with db.transaction() as session:
        known = await calendar(session)
    shown = views.objection_public(known, accepted, date(2026, 12, 24))
    assert shown.deadline is not None
    assert (shown.deadline.working_days_left, shown.deadline.exact) == (10, False)
