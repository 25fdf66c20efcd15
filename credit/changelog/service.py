"""Append to the change log inside the transaction that made the change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.changelog import repository
from credit.changelog.models import ChangedEntity, ChangeLogEntry, ChangeOp
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
) -> ChangeLogEntry:
    """Number the change after every committed one; `body` is the entity as it is now (JSON)."""
    await repository.lock_log(session)
    entry = ChangeLogEntry(
        seq=await repository.last_seq(session) + 1,
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
