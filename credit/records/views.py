"""Records as answered to a reader: responsible persons named, their identifiers masked by role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.clock import business_today
from credit.policy.vocabulary import ResponsibilityTier
from credit.records.history import RecordState
from credit.records.models import RecordRevision, RecordStatus
from credit.records.publication import is_public
from credit.records.schemas import RecordPublic, ResponsiblePublic, RevisionPublic
from credit.subjects.access import sees_identifiers_of
from credit.subjects.models import SUBJECT_TABLE, Subject
from credit.subjects.pii import PersonalIdentifiers


async def _people(session: AsyncSession, states: Sequence[RecordState]) -> dict[int, Subject]:
    wanted = {
        int(person["subject_id"]) for state in states for person in state.revision.responsible
    }
    if not wanted:
        return {}
    query = select(Subject).where(SUBJECT_TABLE.c.id.in_(sorted(wanted)))
    return {
        subject.id: subject for subject in (await session.execute(query)).scalars() if subject.id
    }


def _responsible(
    entry: Mapping[str, object],
    people: Mapping[int, Subject],
    actor: Actor,
    pii: PersonalIdentifiers,
) -> ResponsiblePublic:
    subject_id = int(str(entry["subject_id"]))
    person = people.get(subject_id)
    shown = ResponsiblePublic(subject_id=subject_id, tier=ResponsibilityTier(str(entry["tier"])))
    if person is None:
        return shown
    resident_id = person.resident_id_masked
    if person.resident_id_sealed is not None and sees_identifiers_of(actor, person):
        # A value sealed under a rotated secret cannot be opened; the mask is all there is.
        resident_id = pii.unseal(person.resident_id_sealed) or resident_id
    return shown.model_copy(
        update={
            "name": person.name,
            "kind": person.kind,
            "resident_id": resident_id,
            "nhsa_code": person.nhsa_code,
        }
    )


def _public(
    state: RecordState,
    people: Mapping[int, Subject],
    actor: Actor,
    pii: PersonalIdentifiers,
    today: date,
) -> RecordPublic:
    record, revision = state.record, state.revision
    status = RecordStatus(revision.status)
    return RecordPublic(
        id=state.id,
        **revision.model_dump(include=set(RecordPublic.model_fields) - {"id", "responsible"}),
        responsible=[_responsible(entry, people, actor, pii) for entry in revision.responsible],
        source_system=record.source_system,
        source_ref=record.source_ref,
        recorded_at=record.recorded_at,
        under_objection=status is RecordStatus.UNDER_OBJECTION,
        revised_at=revision.known_from,
        is_public=is_public(
            status, revision.published, revision.publish_from, revision.publish_until, today
        ),
    )


async def public_records(
    session: AsyncSession,
    actor: Actor,
    pii: PersonalIdentifiers,
    states: Sequence[RecordState],
    *,
    today: date | None = None,
) -> list[RecordPublic]:
    """The records as `actor` may see them, with one query for all responsible persons."""
    people = await _people(session, states)
    day = today or business_today()
    return [_public(state, people, actor, pii, day) for state in states]


def public_revision(revision: RecordRevision, actor: Actor) -> RevisionPublic:
    """A revision in a record's history; a subject reader sees the acting role, not the name."""
    shown = RevisionPublic.model_validate(revision, from_attributes=True)
    if not actor.is_regulator:
        shown = shown.model_copy(update={"actor": None})
    return shown
