"""Figures and queues for the regulator's dashboard: entries per list and status, and the
entries waiting for an officer or a reviewer, earliest deadline first."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.lists.models import EntryStatus, ListEntry


async def status_counts(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Entries per list and status, for the regulator's dashboard (every status, not only
    what the public sees)."""
    query = select(col(ListEntry.list_name), col(ListEntry.status), func.count()).group_by(
        col(ListEntry.list_name), col(ListEntry.status)
    )
    found: dict[str, dict[str, int]] = {}
    for list_name, status, count in (await session.execute(query)).all():
        found.setdefault(list_name, {})[status] = int(count)
    return found


async def awaiting_decision(session: AsyncSession, *, limit: int = 50) -> list[ListEntry]:
    """Entries a reviewer or officer must move on, the earliest deadline first."""
    waiting = [
        str(EntryStatus.CANDIDATE),
        str(EntryStatus.PROPOSED),
        str(EntryStatus.NOTIFIED),
        str(EntryStatus.DECIDED),
        str(EntryStatus.APPROVED),
        str(EntryStatus.PUBLICITY),
    ]
    deadline = func.coalesce(col(ListEntry.notice_deadline), col(ListEntry.publicity_until))
    query = (
        select(ListEntry)
        .where(col(ListEntry.status).in_(waiting))
        .order_by(deadline.is_(None), deadline, col(ListEntry.id))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
