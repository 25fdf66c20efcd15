"""Queries on pack versions and their events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.policy.models import ACTIVATED, PackEvent, PackStatus, PackVersion


async def by_id(session: AsyncSession, version_id: int) -> PackVersion | None:
    return await session.get(PackVersion, version_id)


async def by_number(session: AsyncSession, code: str, number: int) -> PackVersion | None:
    query = select(PackVersion).where(
        col(PackVersion.code) == code, col(PackVersion.version) == number
    )
    return (await session.execute(query)).scalar_one_or_none()


async def for_update(session: AsyncSession, version_id: int) -> PackVersion | None:
    """The version locked for a status change (PostgreSQL; SQLite serialises writers anyway)."""
    query = select(PackVersion).where(col(PackVersion.id) == version_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def last_number(session: AsyncSession, code: str) -> int:
    query = select(func.max(col(PackVersion.version))).where(col(PackVersion.code) == code)
    return int((await session.execute(query)).scalar_one() or 0)


async def kind_of_code(session: AsyncSession, code: str) -> str | None:
    query = select(col(PackVersion.kind)).where(col(PackVersion.code) == code).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def page(
    session: AsyncSession,
    *,
    after_id: int | None,
    limit: int,
    status: PackStatus | None = None,
    code: str | None = None,
) -> Sequence[PackVersion]:
    query = select(PackVersion).order_by(col(PackVersion.id)).limit(limit)
    if after_id is not None:
        query = query.where(col(PackVersion.id) > after_id)
    if status is not None:
        query = query.where(col(PackVersion.status) == str(status))
    if code is not None:
        query = query.where(col(PackVersion.code) == code)
    return (await session.execute(query)).scalars().all()


async def in_force(session: AsyncSession, code: str, on: date) -> PackVersion | None:
    """The approved version with the latest effective_from on or before `on`.

    Two versions effective the same day: the one approved last governs.
    """
    query = (
        select(PackVersion)
        .where(
            col(PackVersion.code) == code,
            col(PackVersion.status).in_([str(status) for status in ACTIVATED]),
            col(PackVersion.effective_from) <= on,
        )
        .order_by(
            col(PackVersion.effective_from).desc(),
            col(PackVersion.approved_at).desc(),
            col(PackVersion.id).desc(),
        )
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def active_until(session: AsyncSession, code: str, on: date) -> Sequence[PackVersion]:
    """Active versions of `code` effective on or before `on`: a new version supersedes these."""
    query = select(PackVersion).where(
        col(PackVersion.code) == code,
        col(PackVersion.status) == str(PackStatus.ACTIVE),
        col(PackVersion.effective_from) <= on,
    )
    return (await session.execute(query)).scalars().all()


async def codes(session: AsyncSession) -> set[str]:
    return set((await session.execute(select(col(PackVersion.code)).distinct())).scalars().all())


async def events_of(session: AsyncSession, version_id: int) -> Sequence[PackEvent]:
    query = (
        select(PackEvent)
        .where(col(PackEvent.pack_version_id) == version_id)
        .order_by(col(PackEvent.id))
    )
    return (await session.execute(query)).scalars().all()
