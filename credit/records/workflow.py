"""The record status workflow: one table of allowed moves and the only code that changes status.

`transition` moves one record and writes its revision and audit event; `transition_many` is the
same guarded move for a set of records (the publication sweep), one statement per chunk and one
audit event. No status is assigned anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel import knowledge, signals
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, NotFound
from credit.kernel.workflow import Transitions
from credit.records import repository
from credit.records.models import REVISION_TABLE, RecordRevision, RecordStatus

ACTIVE, UNDER_OBJECTION, CORRECTED = (
    RecordStatus.ACTIVE,
    RecordStatus.UNDER_OBJECTION,
    RecordStatus.CORRECTED,
)
REVOKED, REPAIRED, EXPIRED = RecordStatus.REVOKED, RecordStatus.REPAIRED, RecordStatus.EXPIRED

INITIAL_STATUS = ACTIVE
ALLOWED_TRANSITIONS: dict[RecordStatus, frozenset[RecordStatus]] = {
    ACTIVE: frozenset({UNDER_OBJECTION, CORRECTED, REVOKED, REPAIRED, EXPIRED}),
    # Dismissed: back to where it was; partly upheld: corrected; upheld: revoked.
    UNDER_OBJECTION: frozenset({ACTIVE, CORRECTED, REVOKED, REPAIRED, EXPIRED}),
    CORRECTED: frozenset({UNDER_OBJECTION, CORRECTED, REVOKED, REPAIRED, EXPIRED}),
    # Publication has ended, but the decision can still be disputed or overturned.
    REPAIRED: frozenset({UNDER_OBJECTION, REVOKED}),
    EXPIRED: frozenset({UNDER_OBJECTION, CORRECTED, REVOKED}),
    REVOKED: frozenset(),
}
# The statuses whose window still decides whether a record is public.
PUBLISHABLE = frozenset({ACTIVE, UNDER_OBJECTION, CORRECTED})


TRANSITIONS = Transitions("record", ALLOWED_TRANSITIONS)


def check_transition(current: RecordStatus, to: RecordStatus, record_id: object) -> None:
    """Refuse a move the table does not allow, naming both states."""
    TRANSITIONS.check(current, to, record_id)


def _known_from(current: RecordRevision) -> datetime:
    # A clock behind the last revision (another worker's) must not make time run backwards.
    return max(utcnow(), current.known_from)


async def transition(
    session: AsyncSession,
    actor: Actor,
    record_id: int,
    to: RecordStatus,
    *,
    reason: str,
    facts: dict[str, Any] | None = None,
    action: str,
) -> RecordRevision:
    """Close the current revision and open the next with status `to` and any changed facts."""
    current = await repository.current_revision(session, record_id, for_update=True)
    if current is None:
        raise NotFound(f"record {record_id} does not exist", field="record_id", rule="exists")
    previous = RecordStatus(current.status)
    check_transition(previous, to, record_id)
    await knowledge.stamping(session)
    facts = facts or {}
    changes = {
        name: {"from": _plain(getattr(current, name)), "to": _plain(value)}
        for name, value in facts.items()
        if getattr(current, name) != value
    }
    if to != previous:
        changes["status"] = {"from": str(previous), "to": str(to)}
    now = _known_from(current)
    assert current.id is not None
    if not await repository.close_revisions(session, [current.id], now):
        raise Conflict(
            f"record {record_id} was changed at the same time; read it again and retry",
            field="record_id",
            rule="concurrent_change",
        )
    revision = RecordRevision.model_validate(
        {
            **current.model_dump(exclude={"id", "known_until", "changes", "reason"}),
            **facts,
            "revision": current.revision + 1,
            "status": str(to),
            "changes": changes,
            "reason": reason,
            "actor": actor.name,
            "actor_role": str(actor.role),
            "account_id": actor.account_id,
            "known_from": now,
        }
    )
    session.add(revision)
    await session.flush()
    await audit.record(
        session,
        actor,
        action,
        "credit_record",
        record_id,
        {"revision": revision.revision, "changes": changes, "reason": reason},
    )
    return revision


async def transition_many(
    session: AsyncSession,
    actor: Actor,
    due: Mapping[RecordStatus, Select[Any]],
    *,
    to: RecordStatus,
    reason: str,
    action: str,
    chunk_size: int = 2000,
) -> int:
    """Move every record whose current revision a query of `due` selects to `to`, set-based.

    `due` maps each status moved from to a query of current revision ids in that status; a query
    must stop selecting a revision once it is closed, so each chunk is the next one. One audit
    event covers every record moved. Returns how many moved.
    """
    for from_status in due:
        check_transition(from_status, to, "selected")
    await knowledge.stamping(session)
    moved: dict[str, int] = {}
    first_id: int | None = None
    last_id: int | None = None
    for from_status, query in due.items():
        changes = {"status": {"from": str(from_status), "to": str(to)}}
        while revision_ids := await repository.first_ids(session, query, chunk_size):
            now = utcnow()
            closed = await repository.close_revisions(session, revision_ids, now)
            record_ids = await repository.copy_as_next_revisions(
                session,
                closed,
                status=to,
                changes=changes,
                reason=reason,
                actor=actor,
                known_from=now,
            )
            if not record_ids:
                continue
            # The live score and points of the records' subjects follow in this transaction.
            subjects = select(REVISION_TABLE.c.subject_id).where(
                REVISION_TABLE.c.record_id.in_(record_ids), REVISION_TABLE.c.known_until.is_(None)
            )
            subject_ids = set((await session.execute(subjects.distinct())).scalars())
            await signals.subjects_changed(session, subject_ids, action)
            moved[str(from_status)] = moved.get(str(from_status), 0) + len(record_ids)
            first_id = min(record_ids) if first_id is None else min(first_id, *record_ids)
            last_id = max(record_ids) if last_id is None else max(last_id, *record_ids)
    total = sum(moved.values())
    if total:
        await audit.record(
            session,
            actor,
            action,
            "credit_record",
            f"{first_id}-{last_id}",
            {"count": total, "from": moved, "to": str(to), "reason": reason},
        )
    return total


def _plain(value: Any) -> Any:
    """A value as the audit log and the `changes` column keep it (JSON-friendly)."""
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    return str(value)
