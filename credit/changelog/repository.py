"""Queries on the change log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.changelog.models import ChangeLogEntry

# Arbitrary constant naming the PostgreSQL advisory lock that serialises appends to the log.
_LOG_LOCK_KEY = 7_319_410_23


async def lock_log(session: AsyncSession) -> None:
    """Serialise appends so sequence order is commit order (a reader never skips a late commit)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK_KEY})


async def last_seq(session: AsyncSession) -> int:
    found = (await session.execute(select(func.max(ChangeLogEntry.seq)))).scalar_one()
    return int(found or 0)


async def after(session: AsyncSession, seq: int, limit: int) -> Sequence[ChangeLogEntry]:
    query = (
        select(ChangeLogEntry)
        .where(col(ChangeLogEntry.seq) > seq)
        .order_by(col(ChangeLogEntry.seq))
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()
