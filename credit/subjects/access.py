"""Who may read which subject, and how a subject is shown to its reader."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today
from credit.kernel.errors import NotFound
from credit.subjects import repository
from credit.subjects.models import Subject, SubjectPublic
from credit.subjects.pii import PersonalIdentifiers
from credit.subjects.service import get_subject


async def ensure_can_read(session: AsyncSession, actor: Actor, subject: Subject) -> None:
    """Regulators read every subject; a subject account reads itself and, for an institution,
    the persons practising there today. Anyone else learns nothing, not even that it exists."""
    if actor.is_regulator or actor.role is Role.SYSTEM:
        return
    if actor.role is Role.SUBJECT and actor.subject_id is not None and subject.id is not None:
        if actor.subject_id == subject.id:
            return
        if await repository.practises_at(session, subject.id, actor.subject_id, business_today()):
            return
    raise NotFound(f"subject {subject.id} does not exist", field="subject_id", rule="exists")


async def readable_subject(session: AsyncSession, actor: Actor, subject_id: int) -> Subject:
    """The subject if this actor may read it; the same NotFound for missing and not visible."""
    subject = await get_subject(session, subject_id)
    await ensure_can_read(session, actor, subject)
    return subject


def sees_identifiers_of(actor: Actor, subject: Subject) -> bool:
    """Whether `actor` sees the subject's personal identifiers unmasked."""
    own = actor.subject_id is not None and actor.subject_id == subject.id
    return actor.sees_personal_identifiers or own


def public_view(subject: Subject, actor: Actor, pii: PersonalIdentifiers) -> SubjectPublic:
    """The subject as answered to `actor`: personal identifiers masked unless it may see them."""
    full = sees_identifiers_of(actor, subject)

    def shown(sealed: bytes | None, masked: str | None) -> str | None:
        if sealed is None or not full:
            return masked
        # A value sealed under a rotated secret cannot be opened; the mask is all there is.
        return pii.unseal(sealed) or masked

    return SubjectPublic.model_validate(
        {
            **subject.model_dump(),
            "resident_id": shown(subject.resident_id_sealed, subject.resident_id_masked),
            "insurance_no": shown(subject.insurance_no_sealed, subject.insurance_no_masked),
            "identifiers_masked": not full,
        }
    )
