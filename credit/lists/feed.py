"""What partners learn of a list entry: the change log row written with every visible change.

An entry reaches partners when it comes into force (black, red: published; focus: listed), every
change while in force is a MOD, and its removal is a DEL, never a silent disappearance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.changelog import service as changelog
from credit.changelog.models import ChangedEntity, ChangeOp
from credit.kernel import signals
from credit.lists.models import EntryStatus, ListEntry
from credit.policy.vocabulary import ListName
from credit.subjects.models import Subject

IN_FORCE = {
    ListName.BLACK: EntryStatus.PUBLISHED,
    ListName.FOCUS: EntryStatus.LISTED,
    ListName.RED: EntryStatus.PUBLISHED,
}
PUBLIC_LISTS = frozenset({ListName.BLACK, ListName.RED})


def entry_body(entry: ListEntry, subject: Subject) -> dict[str, Any]:
    """The entry as partners see it now (plain JSON; personal identifiers only masked)."""
    return {
        "entry_id": entry.id,
        "list": entry.list_name,
        "status": entry.status,
        "subject": {
            "id": subject.id,
            "name": subject.name,
            "kind": subject.kind,
            "region_code": subject.region_code,
            "uscc": subject.uscc,
            "nhsa_code": subject.nhsa_code,
            "resident_id_masked": subject.resident_id_masked,
        },
        "criterion_code": entry.criterion_code,
        "reasons": list(entry.reasons),
        "legal_basis": entry.legal_basis,
        "record_ids": list(entry.record_ids),
        "decided_on": _iso(entry.decided_on),
        "valid_from": _iso(entry.valid_from),
        "valid_until": _iso(entry.valid_until),
        "removal_reason": entry.removal_reason,
        "removed_on": _iso(entry.removed_on),
        "under_objection": entry.under_objection,
    }


async def announce(
    session: AsyncSession, entry: ListEntry, from_status: EntryStatus | None
) -> None:
    """Append ADD, MOD or DEL when partners see (or saw) the entry; nothing otherwise."""
    name = ListName(entry.list_name)
    in_force = IN_FORCE[name]
    was_visible = from_status is in_force
    visible = entry.status == in_force
    if not (was_visible or visible):
        return
    op = ChangeOp.MOD if was_visible and visible else ChangeOp.ADD if visible else ChangeOp.DEL
    subject = await session.get(Subject, entry.subject_id)
    assert subject is not None
    assert entry.id is not None
    await changelog.append(
        session,
        entity=ChangedEntity.LIST_ENTRY,
        entity_id=entry.id,
        op=op,
        subject_id=entry.subject_id,
        body=entry_body(entry, subject),
        public=name in PUBLIC_LISTS,
    )
    # Measures and scores follow what partners see, in this same transaction.
    await signals.subjects_changed(session, {entry.subject_id}, signals.LIST_ENTRY_CHANGED)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
