"""All queries on measure assignments and feedback; bulk statements serve whole chunks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from credit.changelog import repository as changelog
from credit.changelog.models import ChangedEntity, ChangeLogEntry, ChangeOp, FeedStream
from credit.kernel.clock import utcnow
from credit.measures.models import (
    ASSIGNMENT_TABLE,
    FEEDBACK_TABLE,
    AssignmentStatus,
    EndReason,
    MeasureAssignment,
    MeasureFeedback,
)

ASSIGNMENT = ASSIGNMENT_TABLE.c
CHANGE_LOG_TABLE = SQLModel.metadata.tables[ChangeLogEntry.__tablename__]
FEEDBACK = FEEDBACK_TABLE.c


@dataclass(frozen=True, slots=True)
class AssignmentFilter:
    subject_id: int | None = None
    agency: str | None = None
    measure_code: str | None = None
    status: AssignmentStatus | None = None


async def active_for(session: AsyncSession, subject_ids: Collection[int]) -> list[dict[str, Any]]:
    """The subjects' active assignments as plain values (bulk statements change them)."""
    query = select(ASSIGNMENT_TABLE).where(
        ASSIGNMENT.subject_id.in_(sorted(subject_ids)),
        ASSIGNMENT.status == str(AssignmentStatus.ACTIVE),
    )
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def spent_triggers(
    session: AsyncSession, subject_ids: Collection[int]
) -> set[tuple[int, str, str]]:
    """(subject, measure, trigger) of assignments whose duration ran out."""
    query = select(ASSIGNMENT.subject_id, ASSIGNMENT.measure_code, ASSIGNMENT.trigger).where(
        ASSIGNMENT.subject_id.in_(sorted(subject_ids)),
        ASSIGNMENT.end_reason == str(EndReason.DURATION_ELAPSED),
    )
    return {(int(s), str(m), str(t)) for s, m, t in (await session.execute(query)).all()}


async def insert_assignments(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[tuple[int, str], int]:
    """Insert active assignments in one executemany; their ids by (subject, measure).

    Ids are read back by the one-active-per-measure-and-subject key: RETURNING over many rows
    falls back to a statement per row on SQLite when the order must be kept.
    """
    if not rows:
        return {}
    await session.execute(insert(ASSIGNMENT_TABLE), list(rows))
    query = select(ASSIGNMENT.id, ASSIGNMENT.subject_id, ASSIGNMENT.measure_code).where(
        ASSIGNMENT.subject_id.in_(sorted({row["subject_id"] for row in rows})),
        ASSIGNMENT.status == str(AssignmentStatus.ACTIVE),
    )
    return {
        (int(subject), str(code)): int(new_id)
        for new_id, subject, code in (await session.execute(query)).all()
    }


async def update_by_id(session: AsyncSession, changes: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key: each dict holds `id` and the new values."""
    if changes:
        await session.execute(update(MeasureAssignment), list(changes))


async def append_changes(
    session: AsyncSession, changes: Sequence[tuple[ChangeOp, dict[str, Any]]]
) -> None:
    """Append every change of a chunk to the change log with a few statements.

    Same numbering as `credit.changelog.service.append` (locked, gap-free, commit order), for a
    whole chunk at once: one append per assignment would cost three statements each.
    """
    if not changes:
        return
    await changelog.lock_log(session)
    first = await changelog.last_seq(session) + 1
    now = utcnow()
    rows = [
        {
            "seq": first + offset,
            "stream": str(FeedStream.MEASURES),
            "entity": str(ChangedEntity.MEASURE_ASSIGNMENT),
            "entity_id": body["id"],
            "op": str(op),
            "subject_id": body["subject_id"],
            "agency": body["agency"],
            "public": False,
            "body": body,
            "occurred_at": now,
        }
        for offset, (op, body) in enumerate(changes)
    ]
    await session.execute(insert(CHANGE_LOG_TABLE), rows)


async def due_to_end(
    session: AsyncSession, today: date, *, after_id: int, limit: int
) -> list[dict[str, Any]]:
    """Active assignments whose planned end has come, in id order from `after_id`."""
    query = (
        select(ASSIGNMENT_TABLE)
        .where(
            ASSIGNMENT.status == str(AssignmentStatus.ACTIVE),
            ASSIGNMENT.ends_on.is_not(None),
            ASSIGNMENT.ends_on <= today,
            ASSIGNMENT.id > after_id,
        )
        .order_by(ASSIGNMENT.id)
        .limit(limit)
    )
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def page(
    session: AsyncSession, criteria: AssignmentFilter, *, after_id: int | None, limit: int
) -> Sequence[MeasureAssignment]:
    query = select(MeasureAssignment).order_by(ASSIGNMENT.id).limit(limit)
    if criteria.subject_id is not None:
        query = query.where(ASSIGNMENT.subject_id == criteria.subject_id)
    if criteria.agency is not None:
        query = query.where(ASSIGNMENT.agency == criteria.agency)
    if criteria.measure_code is not None:
        query = query.where(ASSIGNMENT.measure_code == criteria.measure_code)
    if criteria.status is not None:
        query = query.where(ASSIGNMENT.status == str(criteria.status))
    if after_id:
        query = query.where(ASSIGNMENT.id > after_id)
    return (await session.execute(query)).scalars().all()


async def get(session: AsyncSession, assignment_id: int) -> MeasureAssignment | None:
    return await session.get(MeasureAssignment, assignment_id)


async def add_feedback(session: AsyncSession, feedback: MeasureFeedback) -> MeasureFeedback:
    session.add(feedback)
    await session.flush()
    return feedback


async def feedback_of(session: AsyncSession, assignment_id: int) -> Sequence[MeasureFeedback]:
    query = (
        select(MeasureFeedback).where(FEEDBACK.assignment_id == assignment_id).order_by(FEEDBACK.id)
    )
    return (await session.execute(query)).scalars().all()
