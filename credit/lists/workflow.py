"""The three list procedures (DESIGN 5): one table of allowed moves per list, who may make each
move, and the one function that changes an entry's status.

black: proposed → notified (告知) → decided → publicity (公示) → published → removed
focus: proposed → approved → listed → removed
red:   candidate → approved → publicity → published → removed

Before an entry is in force it may be dropped at any step: the proposal is withdrawn, the
defence convinced the reviewer, or an objection during publicity succeeded. A dropped entry
never reached partners; a removed one did, and its removal is sent to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.errors import Forbidden
from credit.kernel.workflow import Transitions
from credit.lists import feed
from credit.lists.models import EntryStatus, ListEntry, ListEntryEvent
from credit.policy.vocabulary import ListName

CANDIDATE, PROPOSED, NOTIFIED = EntryStatus.CANDIDATE, EntryStatus.PROPOSED, EntryStatus.NOTIFIED
DECIDED, APPROVED, PUBLICITY = EntryStatus.DECIDED, EntryStatus.APPROVED, EntryStatus.PUBLICITY
PUBLISHED, LISTED = EntryStatus.PUBLISHED, EntryStatus.LISTED
REMOVED, DROPPED = EntryStatus.REMOVED, EntryStatus.DROPPED

_BLACK = {
    PROPOSED: frozenset({NOTIFIED, DROPPED}),
    NOTIFIED: frozenset({DECIDED, DROPPED}),
    DECIDED: frozenset({PUBLICITY, DROPPED}),
    PUBLICITY: frozenset({PUBLISHED, DROPPED}),
    PUBLISHED: frozenset({REMOVED}),
}
_FOCUS = {
    PROPOSED: frozenset({APPROVED, DROPPED}),
    APPROVED: frozenset({LISTED, DROPPED}),
    LISTED: frozenset({REMOVED}),
}
_RED = {
    CANDIDATE: frozenset({APPROVED, DROPPED}),
    APPROVED: frozenset({PUBLICITY, DROPPED}),
    PUBLICITY: frozenset({PUBLISHED, DROPPED}),
    PUBLISHED: frozenset({REMOVED}),
}
PROCEDURES: dict[ListName, Transitions[EntryStatus]] = {
    ListName.BLACK: Transitions("blacklist entry", _BLACK),
    ListName.FOCUS: Transitions("focus list entry", _FOCUS),
    ListName.RED: Transitions("red list entry", _RED),
}
INITIAL = {ListName.BLACK: PROPOSED, ListName.FOCUS: PROPOSED, ListName.RED: CANDIDATE}
# The decision that needs a second pair of eyes, and the state in which the entry is in force.
DECISION = {ListName.BLACK: DECIDED, ListName.FOCUS: APPROVED, ListName.RED: APPROVED}
IN_FORCE = feed.IN_FORCE
# When the subject is told of the entry (before that it is an internal proposal).
DISCLOSED = {ListName.BLACK: NOTIFIED, ListName.FOCUS: APPROVED, ListName.RED: APPROVED}
# Every state an entry of each list can be in.
STATUSES = {
    name: frozenset({*table.allowed, *(s for targets in table.allowed.values() for s in targets)})
    for name, table in PROCEDURES.items()
}

# Officers propose and serve notices; reviewers decide, publish and remove; admins may do all.
_OFFICERS = frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM})
_REVIEWERS = frozenset({Role.ADMIN, Role.REVIEWER, Role.SYSTEM})
_REGULATORS = _OFFICERS | _REVIEWERS
ROLES_FOR = {
    NOTIFIED: _OFFICERS,
    DECIDED: _REVIEWERS,
    APPROVED: _REVIEWERS,
    PUBLICITY: _REGULATORS,
    PUBLISHED: _REVIEWERS,
    LISTED: _REVIEWERS,
    REMOVED: _REVIEWERS,
    DROPPED: _REVIEWERS,
}
# Withdrawing a proposal nobody has decided yet is the proposing officer's own business.
EARLY_DROP = frozenset({CANDIDATE, PROPOSED})


def list_of(entry: ListEntry) -> ListName:
    return ListName(entry.list_name)


def check(entry: ListEntry, to: EntryStatus, actor: Actor) -> None:
    """Refuse a move the list's table does not allow (409), by a role that may not make it or,
    for the decision, by the proposer (403)."""
    name, current = list_of(entry), EntryStatus(entry.status)
    PROCEDURES[name].check(current, to, entry.id)
    allowed = _REGULATORS if to is DROPPED and current in EARLY_DROP else ROLES_FOR[to]
    if actor.role not in allowed:
        roles = ", ".join(sorted(str(role) for role in allowed - {Role.SYSTEM}))
        raise Forbidden(
            f"role {actor.role} may not move a {name} list entry to {to}; allowed: {roles}",
            field="to",
            rule="role",
        )
    if to is DECISION[name] and actor.role is not Role.SYSTEM and actor.name == entry.proposed_by:
        raise Forbidden(
            f"{actor.name} proposed {name} list entry {entry.id}; another reviewer must decide it",
            field="actor",
            rule="four_eyes",
        )


async def record_event(
    session: AsyncSession,
    actor: Actor,
    entry: ListEntry,
    from_status: EntryStatus | None,
    *,
    reason: str | None,
    documents: Sequence[str] = (),
    changes: dict[str, Any] | None = None,
    action: str,
) -> ListEntryEvent:
    """Append the event and its audit record, and tell partners if they see the entry."""
    assert entry.id is not None
    event = ListEntryEvent(
        entry_id=entry.id,
        from_status=str(from_status) if from_status else None,
        to_status=entry.status,
        actor=actor.name,
        actor_role=str(actor.role),
        account_id=actor.account_id,
        occurred_at=utcnow(),
        reason=reason,
        documents=list(documents),
        changes=changes or {},
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
    )
    session.add(event)
    await session.flush()
    await audit.record(
        session,
        actor,
        f"list_entry.{action}",
        "list_entry",
        entry.id,
        {
            "list": entry.list_name,
            "subject_id": entry.subject_id,
            "from": event.from_status,
            "to": entry.status,
            "reason": reason,
            "documents": list(documents),
            "changes": changes or {},
        },
    )
    await feed.announce(session, entry, from_status)
    return event


async def transition(
    session: AsyncSession,
    actor: Actor,
    entry: ListEntry,
    to: EntryStatus,
    *,
    reason: str | None,
    documents: Sequence[str] = (),
    stamps: dict[str, Any] | None = None,
) -> ListEntryEvent:
    """Move an entry if its list's table, the roles and four-eyes allow it; `stamps` are the
    fields the move sets (deadlines, validity, decision), recorded in the event."""
    check(entry, to, actor)
    current = EntryStatus(entry.status)
    changes = {name: _plain(value) for name, value in (stamps or {}).items()}
    for name, value in (stamps or {}).items():
        setattr(entry, name, value)
    entry.status = str(to)
    entry.updated_at = utcnow()
    if to is DISCLOSED[list_of(entry)] and entry.disclosed_at is None:
        entry.disclosed_at = entry.updated_at
    session.add(entry)
    await session.flush()
    return await record_event(
        session,
        actor,
        entry,
        current,
        reason=reason,
        documents=documents,
        changes=changes,
        action=str(to),
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    return str(value)
