"""Write audit events and verify the chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import repository
from credit.audit.chain import GENESIS_HASH, canonical_json, digest, event_hash
from credit.audit.models import AuditEvent
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object,
    change: dict[str, Any],
) -> AuditEvent:
    """Append one event for a state change made in this session's transaction."""
    await repository.lock_chain(session)
    previous = await repository.last_event(session)
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS_HASH
    change_text = canonical_json(change)
    change_digest = digest(change_text)
    occurred_at = utcnow()
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor": actor.name,
        "actor_role": str(actor.role),
        "account_id": actor.account_id,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "change_digest": change_digest,
        "prev_hash": prev_hash,
    }
    event = AuditEvent(**fields, change=change_text, hash=event_hash(**fields))
    session.add(event)
    await session.flush()
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    first_broken_seq: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


async def verify(
    session: AsyncSession, on_progress: Callable[[int], None] | None = None
) -> ChainReport:
    """Recompute every link; name the first event whose content, hash or position is wrong."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    async for event in repository.stream_in_order(session):
        problem = _problem(event, expected_seq, prev_hash)
        if problem:
            return ChainReport(checked=checked, first_broken_seq=event.seq, problem=problem)
        checked += 1
        expected_seq += 1
        prev_hash = event.hash
        if on_progress and checked % 1000 == 0:
            on_progress(checked)
    return ChainReport(checked=checked)


def _problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"event {expected_seq} is missing (next present is {event.seq})"
    if event.prev_hash != prev_hash:
        return f"event {event.seq} does not link to the hash of event {event.seq - 1}"
    if digest(event.change) != event.change_digest:
        return f"event {event.seq}: the recorded change was altered"
    recomputed = event_hash(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        actor_role=event.actor_role,
        account_id=event.account_id,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        change_digest=event.change_digest,
        prev_hash=event.prev_hash,
    )
    if recomputed != event.hash:
        return f"event {event.seq}: its fields do not match its hash"
    return None
