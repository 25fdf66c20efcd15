"""Queries on the change log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, Text, cast, func, select, text
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


async def stream_page(
    session: AsyncSession,
    stream: str,
    after_seq: int,
    limit: int,
    *,
    agency: str | None = None,
) -> Sequence[Row[int, str, datetime, str]]:
    """(seq, op, occurred_at, body as JSON text) of up to `limit` changes of one stream after
    `after_seq`, in seq order: a range of the (stream, seq) index, bodies left undecoded."""
    query = select(
        col(ChangeLogEntry.seq),
        col(ChangeLogEntry.op),
        col(ChangeLogEntry.occurred_at),
        cast(col(ChangeLogEntry.body), Text),
    ).where(col(ChangeLogEntry.stream) == stream, col(ChangeLogEntry.seq) > after_seq)
    if agency is not None:
        query = query.where(col(ChangeLogEntry.agency) == agency)
    query = query.order_by(col(ChangeLogEntry.stream), col(ChangeLogEntry.seq)).limit(limit)
    return (await session.execute(query)).all()


async def stream_version(session: AsyncSession, stream: str) -> int:
    """The seq of the stream's last change (0 before any): a snapshot's version."""
    query = select(func.max(ChangeLogEntry.seq)).where(col(ChangeLogEntry.stream) == stream)
    return int((await session.execute(query)).scalar_one() or 0)


async def latest_changes(
    session: AsyncSession, stream: str, version: int, *, after_entity: int, limit: int
) -> Sequence[Row[int, str, str]]:
    """(entity id, op, body as JSON text) of the last change up to `version` of each of the next
    `limit` entities of `stream` after `after_entity`, in entity id order.

    Those whose op is not DEL are the stream as a partner who replayed it up to `version` holds
    it. Changes are never edited, so the answer for a version never changes.
    """
    last = (
        select(func.max(ChangeLogEntry.seq).label("seq"))
        .where(
            col(ChangeLogEntry.stream) == stream,
            col(ChangeLogEntry.entity_id) > after_entity,
            col(ChangeLogEntry.seq) <= version,
        )
        .group_by(col(ChangeLogEntry.entity_id))
        .order_by(col(ChangeLogEntry.entity_id))
        .limit(limit)
        .subquery()
    )
    query = (
        select(
            col(ChangeLogEntry.entity_id),
            col(ChangeLogEntry.op),
            cast(col(ChangeLogEntry.body), Text),
        )
        .join(last, last.c.seq == col(ChangeLogEntry.seq))
        .order_by(col(ChangeLogEntry.entity_id))
    )
    return (await session.execute(query)).all()
