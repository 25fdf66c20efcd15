"""The 异议中 flag of a list entry while an objection against it is under review.

The flag is an amendment of the entry, not a step of its procedure: the event is recorded and,
when partners see the entry, they receive a MOD carrying `under_objection`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import NotFound
from credit.lists import repository, workflow
from credit.lists.models import EntryStatus, ListEntry


async def set_under_objection(
    session: AsyncSession, actor: Actor, entry_id: int, flagged: bool, *, reason: str
) -> ListEntry:
    """Flag (or unflag) the entry 异议中; nothing is written when it already is so."""
    entry = await repository.get(session, entry_id, for_update=True)
    if entry is None:
        raise NotFound(f"list entry {entry_id} does not exist", field="entry_id", rule="exists")
    if entry.under_objection == flagged:
        return entry
    entry.under_objection = flagged
    entry.updated_at = utcnow()
    session.add(entry)
    await session.flush()
    await workflow.record_event(
        session,
        actor,
        entry,
        EntryStatus(entry.status),
        reason=reason,
        changes={"under_objection": {"from": not flagged, "to": flagged}},
        action="objection_flag",
    )
    return entry
