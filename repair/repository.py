"""Every query of objections, repairs, their events and evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.notifications.models import Notification
from repair.models import (
    EvidenceFile,
    Objection,
    ObjectionEvent,
    ObjectionStatus,
    OwnerKind,
    Repair,
    RepairEvent,
    RepairStatus,
)

OPEN_STATUSES = ("submitted", "accepted", "under_review")


async def objection(
    session: AsyncSession, objection_id: int, *, for_update: bool = False
) -> Objection | None:
    query = select(Objection).where(col(Objection.id) == objection_id)
    if for_update:
        # A row this session loaded before must show what the lock waited for.
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def repair(
    session: AsyncSession, repair_id: int, *, for_update: bool = False
) -> Repair | None:
    query = select(Repair).where(col(Repair.id) == repair_id)
    if for_update:
        # A row this session loaded before must show what the lock waited for.
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def open_objection(
    session: AsyncSession, target_type: str, target_id: int, subject_id: int
) -> Objection | None:
    query = select(Objection).where(
        col(Objection.target_type) == target_type,
        col(Objection.target_id) == target_id,
        col(Objection.subject_id) == subject_id,
        col(Objection.status).in_(OPEN_STATUSES),
    )
    return (await session.execute(query)).scalars().first()


async def open_repair(session: AsyncSession, target_type: str, target_id: int) -> Repair | None:
    query = select(Repair).where(
        col(Repair.target_type) == target_type,
        col(Repair.target_id) == target_id,
        col(Repair.status).in_(OPEN_STATUSES),
    )
    return (await session.execute(query)).scalars().first()


async def other_reviews_of_record(session: AsyncSession, objection: Objection) -> bool:
    """Whether another objection under review disputes the same record (it keeps the flag)."""
    query = select(func.count()).where(
        col(Objection.record_id) == objection.record_id,
        col(Objection.id) != objection.id,
        col(Objection.status) == str(ObjectionStatus.UNDER_REVIEW),
        col(Objection.target_type).in_(["record", "points"]),
    )
    return bool((await session.execute(query)).scalar_one())


@dataclass(frozen=True, slots=True)
class CaseFilter:
    status: str | None = None
    target_type: str | None = None
    subject_id: int | None = None
    overdue: bool | None = None


def _page_query(
    model: type[Objection] | type[Repair], filters: CaseFilter, after_id: int | None
) -> Select[Any]:
    query = select(model).order_by(col(model.id))
    if filters.status is not None:
        query = query.where(col(model.status) == filters.status)
    if filters.target_type is not None:
        query = query.where(col(model.target_type) == filters.target_type)
    if filters.subject_id is not None:
        query = query.where(col(model.subject_id) == filters.subject_id)
    if filters.overdue is True:
        query = query.where(col(model.overdue_since).is_not(None))
    elif filters.overdue is False:
        query = query.where(col(model.overdue_since).is_(None))
    if after_id is not None:
        query = query.where(col(model.id) > after_id)
    return query


async def objections(
    session: AsyncSession, filters: CaseFilter, *, after_id: int | None, limit: int
) -> Sequence[Objection]:
    query = _page_query(Objection, filters, after_id).limit(limit)
    return (await session.execute(query)).scalars().all()


async def repairs(
    session: AsyncSession, filters: CaseFilter, *, after_id: int | None, limit: int
) -> Sequence[Repair]:
    query = _page_query(Repair, filters, after_id).limit(limit)
    return (await session.execute(query)).scalars().all()


async def open_objections(session: AsyncSession) -> Sequence[Objection]:
    query = select(Objection).where(col(Objection.status).in_(OPEN_STATUSES))
    return (await session.execute(query.order_by(col(Objection.id)))).scalars().all()


async def open_repairs(session: AsyncSession) -> Sequence[Repair]:
    query = select(Repair).where(col(Repair.status).in_(OPEN_STATUSES))
    return (await session.execute(query.order_by(col(Repair.id)))).scalars().all()


async def objection_events(session: AsyncSession, objection_id: int) -> Sequence[ObjectionEvent]:
    query = select(ObjectionEvent).where(col(ObjectionEvent.objection_id) == objection_id)
    return (await session.execute(query.order_by(col(ObjectionEvent.id)))).scalars().all()


async def repair_events(session: AsyncSession, repair_id: int) -> Sequence[RepairEvent]:
    query = select(RepairEvent).where(col(RepairEvent.repair_id) == repair_id)
    return (await session.execute(query.order_by(col(RepairEvent.id)))).scalars().all()


async def approved_repairs(session: AsyncSession, subject_id: int) -> list[date]:
    """Decision dates of the subject's approved repairs, oldest first."""
    query = select(col(Repair.decided_on)).where(
        col(Repair.subject_id) == subject_id,
        col(Repair.status) == str(RepairStatus.APPROVED),
        col(Repair.decided_on).is_not(None),
    )
    return sorted(day for day in (await session.execute(query)).scalars() if day is not None)


async def evidence_of(
    session: AsyncSession, owner_kind: OwnerKind, owner_id: int
) -> Sequence[EvidenceFile]:
    query = select(EvidenceFile).where(
        col(EvidenceFile.owner_kind) == str(owner_kind), col(EvidenceFile.owner_id) == owner_id
    )
    return (await session.execute(query.order_by(col(EvidenceFile.id)))).scalars().all()


async def evidence(
    session: AsyncSession, owner_kind: OwnerKind, owner_id: int, evidence_id: int
) -> EvidenceFile | None:
    query = select(EvidenceFile).where(
        col(EvidenceFile.id) == evidence_id,
        col(EvidenceFile.owner_kind) == str(owner_kind),
        col(EvidenceFile.owner_id) == owner_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def notification_sent(session: AsyncSession, dedupe_key: str) -> bool:
    """Whether a notification under this key was sent already (a sweep's earlier run)."""
    query = select(col(Notification.id)).where(col(Notification.dedupe_key) == dedupe_key)
    return (await session.execute(query)).first() is not None
