"""Append to the change log inside the transaction that made the change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.changelog import repository
from credit.changelog.models import ChangedEntity, ChangeLogEntry, ChangeOp, FeedStream, stream_of
from credit.kernel.clock import utcnow


async def append(
    session: AsyncSession,
    *,
    entity: ChangedEntity,
    entity_id: int,
    op: ChangeOp,
    subject_id: int,
    body: Mapping[str, Any],
    agency: str | None = None,
    public: bool = False,
    stream: FeedStream | None = None,
) -> ChangeLogEntry:
    """Number the change after every committed one; `body` is the entity as it is now (JSON).

    `stream` defaults to the list named in a list entry's body, or `measures` for assignments.
    """
    await repository.lock_log(session)
    entry = ChangeLogEntry(
        seq=await repository.last_seq(session) + 1,
        stream=str(stream or stream_of(entity, body)),
        entity=str(entity),
        entity_id=entity_id,
        op=str(op),
        subject_id=subject_id,
        agency=agency,
        public=public,
        body=dict(body),
        occurred_at=utcnow(),
    )
    session.add(entry)
    await session.flush()
    return entry
