"""Personnel points applied as records change: year totals stored, qualification status moved.

A record naming responsible persons is created, corrected or revoked (or a person's repair
activity is recorded); the `points` signal handler finds the persons concerned, recomputes their
ledgers for the current points year in a few statements, stores the totals and moves each
person's payment-qualification status in the same transaction. Termination is final.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, cast, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from credit.kernel import signals
from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.kernel.clock import business_today, utcnow
from credit.kernel.db import IdType, UTCDateTime
from credit.kernel.signals import SubjectsChanged
from credit.policy import regime
from credit.records.repository import REVISION
from credit.subjects import status as subject_status
from credit.subjects.models import SUBJECT_TABLE, Subject
from indicators import points
from indicators.points import TERMINATED, PointsLedger

SUBJECT = SUBJECT_TABLE.c


class PersonnelPointsYear(SQLModel, table=True):
    """A person's points total and the status it earns, for one points year."""

    __tablename__ = "personnel_points_year"

    person_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), primary_key=True, autoincrement=False)
    )
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    gross: int
    repair_credits: int
    total: int
    status: str = Field(max_length=20)
    interview: bool
    focus: bool
    suspension_months: int | None = None
    suspended_from: date | None = None
    suspended_until: date | None = None
    reregistration_barred_until: date | None = None
    still_paid: list[str] = Field(sa_column=Column(JSON, nullable=False))
    computed_at: datetime = Field(sa_type=UTCDateTime)


YEAR_TABLE = SQLModel.metadata.tables["personnel_points_year"]


async def persons_concerned(session: AsyncSession, subject_ids: Collection[int]) -> set[int]:
    """Persons among the subjects, and persons any revision of their records this year names.

    Closed revisions count too: a correction that removes a person lowers that person's points.
    """
    ordered = sorted(subject_ids)
    rules = (await regime.national_rules(session)).pack.personnel_points
    start, end = points.year_bounds(rules, business_today())
    persons: set[int] = set()
    for first in range(0, len(ordered), points.PERSONS_PER_STATEMENT * 10):
        batch = ordered[first : first + points.PERSONS_PER_STATEMENT * 10]
        own = select(SUBJECT.id).where(
            SUBJECT.id.in_(batch), SUBJECT.qualification_status.is_not(None)
        )
        persons.update(int(value) for value in (await session.execute(own)).scalars())
        named = select(REVISION.responsible).where(
            REVISION.subject_id.in_(batch),
            REVISION.decided_on.between(start, end),
            cast(REVISION.responsible, String) != "[]",
        )
        for responsible in (await session.execute(named)).scalars():
            persons.update(int(person["subject_id"]) for person in responsible or [])
    return persons


def _row(found: PointsLedger) -> dict[str, object]:
    return {
        "person_id": found.person_id,
        "year": found.year,
        "gross": found.gross,
        "repair_credits": found.repair_credits,
        "total": found.total,
        "status": found.status,
        "interview": found.interview,
        "focus": found.focus,
        "suspension_months": found.suspension_months,
        "suspended_from": found.suspended_from,
        "suspended_until": found.suspended_until,
        "reregistration_barred_until": found.reregistration_barred_until,
        "still_paid": found.still_paid,
        "computed_at": utcnow(),
    }


async def apply_statuses(
    session: AsyncSession, actor: Actor, person_ids: Collection[int]
) -> dict[int, PointsLedger]:
    """Store the persons' totals for this points year and bring their status in line.

    A suspension ends (back to normal) once the points no longer reach it or its months ran
    out; a terminated qualification stays terminated.
    """
    if not person_ids:
        return {}
    found = await points.ledgers(session, sorted(person_ids))
    year = business_today().year
    ids = sorted(found)
    await session.execute(
        delete(YEAR_TABLE).where(YEAR_TABLE.c.person_id.in_(ids), YEAR_TABLE.c.year == year)
    )
    await session.execute(insert(YEAR_TABLE), [_row(ledger) for ledger in found.values()])
    query = select(Subject).where(SUBJECT.id.in_(ids), SUBJECT.qualification_status.is_not(None))
    for person in (await session.execute(query)).scalars():
        ledger = found[person.id or 0]
        if person.qualification_status in (TERMINATED, ledger.status):
            continue
        reason = f"{ledger.total} personnel points in {ledger.year}"
        await subject_status.transition(
            session, actor, person, "qualification_status", ledger.status, reason=reason
        )
    return found


async def apply_status(session: AsyncSession, actor: Actor, person_id: int) -> PointsLedger:
    """One person's status brought in line, with the ledger (and its sites) that decided it."""
    await apply_statuses(session, actor, [person_id])
    return await points.ledger(session, person_id)


async def on_subjects_changed(session: AsyncSession, event: SubjectsChanged) -> None:
    """Signal handler: records of these subjects changed; update the persons they name."""
    if event.cause == signals.LIST_ENTRY_CHANGED:
        return  # a list entry gives or takes no points
    await apply_statuses(session, SYSTEM_ACTOR, await persons_concerned(session, event.subject_ids))
