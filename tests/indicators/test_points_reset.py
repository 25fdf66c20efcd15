"""The points year turns: totals start again at zero, penalties being served carry on."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from api.db import Database
from credit.kernel.clock import business_today
from credit.notifications.models import Notification
from credit.subjects import service as subjects
from indicators.points_reset import turn_points_year
from indicators.points_status import PersonnelPointsYear
from tests.indicators.support import hospital, seed
from tests.indicators.test_points import _event, physician, recent_day

THIS_YEAR = business_today().year
NEW_YEARS_DAY = date(THIS_YEAR + 1, 1, 1)


async def _row(db: Database, person: int, year: int) -> PersonnelPointsYear | None:
    async with db.transaction() as session:
        query = select(PersonnelPointsYear).where(
            col(PersonnelPointsYear.person_id) == person, col(PersonnelPointsYear.year) == year
        )
        return (await session.execute(query)).scalar()


async def _status(db: Database, person: int) -> str | None:
    async with db.transaction() as session:
        return (await subjects.get_subject(session, person)).qualification_status


async def _turn(db: Database, on: date) -> tuple[int, int]:
    async with db.transaction() as session:
        turned = await turn_points_year(session, on)
    return turned.reset, turned.suspensions_ended


async def test_points_reset_on_new_years_day_and_penalties_carry(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    interviewed, suspended, terminated = [await physician(db, n, clinic) for n in (1, 2, 3)]
    day = recent_day()
    await _event(db, clinic, interviewed, "ENF-38-SUBSTITUTION", "principal", day, "a")
    await _event(db, clinic, suspended, "ENF-38-SUBSTITUTION", "principal", day, "b")
    await _event(db, clinic, suspended, "ENF-38-SPLIT-ADMISSION", "general", day, "c")
    await _event(db, clinic, terminated, "ENF-40-FICTITIOUS-SERVICES", "general", day, "d")
    before = await _row(db, suspended, THIS_YEAR)
    assert before is not None
    assert (before.total, before.status) == (10, "suspended")
    assert before.suspended_until is not None
    assert before.suspended_until >= NEW_YEARS_DAY  # three months from late in the year

    assert await _turn(db, NEW_YEARS_DAY) == (3, 0)

    fresh = await _row(db, interviewed, THIS_YEAR + 1)
    carried = await _row(db, suspended, THIS_YEAR + 1)
    final = await _row(db, terminated, THIS_YEAR + 1)
    assert fresh is not None
    assert carried is not None
    assert final is not None
    assert (fresh.total, fresh.interview, fresh.focus, fresh.status) == (0, False, False, "normal")
    assert (carried.total, carried.status, carried.suspended_until) == (
        0,
        "suspended",
        before.suspended_until,
    )
    assert (final.total, final.status) == (0, "terminated")
    assert await _status(db, suspended) == "suspended"
    assert await _status(db, terminated) == "terminated"
    # Last year's totals stay as they were: the reset opens a year, it does not rewrite one.
    last_year = await _row(db, interviewed, THIS_YEAR)
    assert last_year is not None
    assert last_year.total == 7

    # Run again the same day, or a day late: nothing more happens.
    assert await _turn(db, NEW_YEARS_DAY) == (0, 0)
    assert await _turn(db, NEW_YEARS_DAY + timedelta(days=1)) == (0, 0)

    # The day after the suspension's last day, it is lifted once and the person is told.
    served = before.suspended_until + timedelta(days=1)
    assert await _turn(db, served) == (0, 1)
    assert await _turn(db, served) == (0, 0)
    assert await _status(db, suspended) == "normal"
    lifted = await _row(db, suspended, THIS_YEAR + 1)
    assert lifted is not None
    assert (lifted.status, lifted.still_paid) == ("normal", [])
    async with db.transaction() as session:
        told = list(
            (
                await session.execute(
                    select(Notification).where(col(Notification.kind) == "points.suspension_ended")
                )
            ).scalars()
        )
    assert [note.subject_id for note in told] == [suspended]


async def test_nothing_to_reset_within_the_year(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    await _event(db, clinic, doctor, "ENF-38-SUBSTITUTION", "principal", recent_day(), "a")
    assert await _turn(db, business_today()) == (0, 0)
    row = await _row(db, doctor, THIS_YEAR)
    assert row is not None
    assert row.total == 7
