"""The points year turns (DESIGN 4.4): totals start again at zero on the pack's `year_starts_on`.

Run daily by the scheduler. On the first run of a new points year every person who had a total
last year gets this year's row at zero; a suspension earned last year keeps running until its
last day and a termination stays final, because the reset clears points, not penalties served.
Each run also lifts the suspensions whose months ran out. Running it twice, or late, changes
nothing more than running it once on time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.clock import utcnow
from credit.notifications.service import notify
from credit.policy import regime
from credit.subjects import status as subject_status
from credit.subjects.models import SUBJECT_TABLE, Subject
from indicators import points
from indicators.points import NORMAL, SUSPENDED, TERMINATED
from indicators.points_status import YEAR_TABLE, PersonnelPointsYear

YEAR = YEAR_TABLE.c
SUBJECT = SUBJECT_TABLE.c
BATCH = 1000


@dataclass(frozen=True, slots=True)
class PointsTurnover:
    reset: int  # persons whose total started again at zero
    suspensions_ended: int


def _carried(previous: PersonnelPointsYear, year: int, today: date) -> dict[str, object]:
    """This year's opening row: no points, only a penalty still being served carries over.

    Every row names every column, as one executemany takes its columns from the first row.
    """
    row: dict[str, object] = {
        "person_id": previous.person_id,
        "year": year,
        "gross": 0,
        "repair_credits": 0,
        "total": 0,
        "status": NORMAL,
        "interview": False,
        "focus": False,
        "still_paid": [],
        "suspension_months": None,
        "suspended_from": None,
        "suspended_until": None,
        "reregistration_barred_until": None,
        "computed_at": utcnow(),
    }
    if previous.status == TERMINATED:
        row.update(
            status=TERMINATED,
            reregistration_barred_until=previous.reregistration_barred_until,
            still_paid=previous.still_paid,
        )
    elif previous.status == SUSPENDED:
        # Carried even when it already ran out: the same run's lifting step then ends it.
        row.update(
            status=SUSPENDED,
            suspension_months=previous.suspension_months,
            suspended_from=previous.suspended_from,
            suspended_until=previous.suspended_until,
            still_paid=previous.still_paid,
        )
    return row


async def _reset(session: AsyncSession, year: int, today: date) -> int:
    """Open this points year for every person with a row last year and none this year."""
    current = YEAR_TABLE.alias("current_year")
    query = (
        select(PersonnelPointsYear)
        .outerjoin(current, and_(current.c.person_id == YEAR.person_id, current.c.year == year))
        .where(YEAR.year == year - 1, current.c.person_id.is_(None))
        .order_by(YEAR.person_id)
    )
    previous_rows = list((await session.execute(query)).scalars())
    for first in range(0, len(previous_rows), BATCH):
        batch = previous_rows[first : first + BATCH]
        await session.execute(insert(YEAR_TABLE), [_carried(row, year, today) for row in batch])
    return len(previous_rows)


async def _end_suspensions(session: AsyncSession, year: int, today: date) -> int:
    """Lift the points suspensions whose last day is past (a manual suspension has no row)."""
    query = (
        select(Subject, YEAR.suspended_until)
        .join(YEAR_TABLE, YEAR.person_id == SUBJECT.id)
        .where(
            SUBJECT.qualification_status == SUSPENDED,
            YEAR.year == year,
            YEAR.status == SUSPENDED,
            YEAR.suspended_until < today,
        )
        .order_by(SUBJECT.id)
    )
    persons = list((await session.execute(query)).all())
    for person, ended_on in persons:
        await subject_status.transition(
            session,
            SYSTEM_ACTOR,
            person,
            "qualification_status",
            NORMAL,
            reason=f"suspension for personnel points served (points year {year})",
        )
        await session.execute(
            update(YEAR_TABLE)
            .where(YEAR.person_id == person.id, YEAR.year == year)
            .values(status=NORMAL, still_paid=[])
        )
        await notify(
            session,
            kind="points.suspension_ended",
            title="医保支付资格暂停期满，已恢复",
            body="Your payment qualification is restored: the suspension for personnel "
            "points has been served.",
            subject_id=person.id,
            dedupe_key=f"points:{person.id}:suspension_until:{ended_on}",
        )
    return len(persons)


async def turn_points_year(session: AsyncSession, today: date) -> PointsTurnover:
    """Reset totals for the points year `today` falls in and lift suspensions that ran out."""
    rules = (await regime.national_rules(session, today)).pack.personnel_points
    start, _ = points.year_bounds(rules, today)
    reset = await _reset(session, start.year, today)
    ended = await _end_suspensions(session, start.year, today)
    return PointsTurnover(reset=reset, suspensions_ended=ended)
