"""Queries on the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.audit.models import AuditEvent

# Arbitrary constant naming the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_319_410_22


async def lock_chain(session: AsyncSession) -> None:
    """Serialise appends so two transactions never extend the chain from the same link."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})


async def last_event(session: AsyncSession) -> AuditEvent | None:
    result = await session.execute(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1))
    return result.scalar_one_or_none()


async def page(
    session: AsyncSession,
    *,
    after_seq: int | None,
    limit: int,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.seq))
    if after_seq is not None:
        query = query.where(col(AuditEvent.seq) > after_seq)
    if action:
        query = query.where(col(AuditEvent.action) == action)
    if target_type:
        query = query.where(col(AuditEvent.target_type) == target_type)
    if target_id:
        query = query.where(col(AuditEvent.target_id) == target_id)
    return (await session.execute(query.limit(limit))).scalars().all()


async def count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one()


async def stream_in_order(session: AsyncSession, batch: int = 2000) -> AsyncIterator[AuditEvent]:
    """Every event in chain order, a batch at a time so memory stays flat."""
    after = -1
    while True:
        rows = (
            (
                await session.execute(
                    select(AuditEvent)
                    .where(col(AuditEvent.seq) > after)
                    .order_by(col(AuditEvent.seq))
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq
        session.expunge_all()
