"""The expiry sweep: entries whose validity ended are removed with the reason `expired`."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.lists import repository, steps
from credit.lists.models import EntryStatus, RemovalReason
from credit.lists.schemas import TransitionInput
from credit.policy.vocabulary import ListName


async def sweep_lists(session: AsyncSession, today: date, actor: Actor = SYSTEM_ACTOR) -> int:
    """Remove every entry in force whose validity ended before `today`; how many were removed.

    Idempotent: a removed entry is not selected again, and a late run removes everything that
    became due meanwhile, each once (partners receive one DEL per entry).
    """
    due = await repository.past_validity(session, today)
    for entry in due:
        assert entry.id is not None
        assert entry.valid_until is not None
        step = TransitionInput(
            to=EntryStatus.REMOVED,
            removal_reason=RemovalReason.EXPIRED,
            reason=f"validity ended on {entry.valid_until.isoformat()}",
        )
        await steps.move(session, actor, ListName(entry.list_name), entry.id, step, today=today)
    return len(due)
