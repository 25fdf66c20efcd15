"""Drafting, submitting, approving and withdrawing pack versions; the shipped defaults."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.catalog import repository as catalog_repository
from credit.catalog.models import CatalogItem
from credit.kernel.actor import SYSTEM_ACTOR, Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.policy import repository, workflow
from credit.policy.document import (
    PackHeader,
    PolicyDocument,
    PolicyDocumentInvalid,
    canonical_json,
    parse_stored,
    problems_of,
    sha256_of,
    validate_document,
)
from credit.policy.loader import shipped_packs
from credit.policy.models import PackEvent, PackStatus, PackVersion
from credit.policy.national import NationalPack
from credit.policy.vocabulary import PackKind

# Codes whose kind is fixed before any version exists: the catalog is read from `national`.
RESERVED_KINDS = {"national": PackKind.NATIONAL}
DEFAULTS_REASON = "shipped default pack"


async def get_version(session: AsyncSession, version_id: int) -> PackVersion:
    version = await repository.by_id(session, version_id)
    if version is None:
        raise NotFound(
            f"policy pack version {version_id} does not exist", field="id", rule="exists"
        )
    return version


async def version_by_number(session: AsyncSession, code: str, number: int) -> PackVersion:
    version = await repository.by_number(session, code, number)
    if version is None:
        raise NotFound(
            f"policy pack {code} has no version {number}", field="version", rule="exists"
        )
    return version


async def events(session: AsyncSession, version_id: int) -> Sequence[PackEvent]:
    return await repository.events_of(session, version_id)


def _header(code: str, title: str, effective_from: date) -> PackHeader:
    try:
        return PackHeader(code=code, title=title, effective_from=effective_from)
    except ValidationError as error:
        raise PolicyDocumentInvalid(problems_of(error)) from None


async def _check_kind(session: AsyncSession, code: str, kind: str) -> None:
    """Every version of a code governs the same thing; the catalog's code is always national."""
    expected = RESERVED_KINDS.get(code) or await repository.kind_of_code(session, code)
    if expected is not None and expected != kind:
        raise InvalidInput(
            f"versions of {code} are {expected} packs; this document is a {kind} pack",
            field="document.kind",
            rule="same_kind",
        )


async def _insert(
    session: AsyncSession, actor: Actor, header: PackHeader, document: PolicyDocument
) -> PackVersion:
    await _check_kind(session, header.code, document.kind)
    text = canonical_json(document)
    now = utcnow()
    version = PackVersion(
        code=header.code,
        version=await repository.last_number(session, header.code) + 1,
        title=header.title,
        kind=str(document.kind),
        status=str(PackStatus.DRAFT),
        effective_from=header.effective_from,
        document=text,
        sha256=sha256_of(text),
        created_by=actor.name,
        created_at=now,
        updated_by=actor.name,
        updated_at=now,
    )
    session.add(version)
    await session.flush()
    await workflow.record_creation(session, actor, version)
    return version


async def create_draft(
    session: AsyncSession,
    actor: Actor,
    *,
    code: str,
    title: str,
    effective_from: date,
    document: object,
) -> PackVersion:
    """A new draft version of `code`; a bad document is refused whole, naming every problem."""
    header = _header(code, title, effective_from)
    return await _insert(session, actor, header, validate_document(document, prefix="document"))


async def copy_version(
    session: AsyncSession,
    actor: Actor,
    source_id: int,
    *,
    effective_from: date,
    code: str | None = None,
    title: str | None = None,
) -> PackVersion:
    """A draft holding another version's document, to change what the source said."""
    source = await get_version(session, source_id)
    header = _header(code or source.code, title or source.title, effective_from)
    return await _insert(session, actor, header, parse_stored(source.document))


async def _locked(session: AsyncSession, version_id: int) -> PackVersion:
    version = await repository.for_update(session, version_id)
    if version is None:
        raise NotFound(
            f"policy pack version {version_id} does not exist", field="id", rule="exists"
        )
    return version


async def update_draft(
    session: AsyncSession,
    actor: Actor,
    version_id: int,
    *,
    title: str | None = None,
    effective_from: date | None = None,
    document: object | None = None,
) -> PackVersion:
    """Change a draft's title, effective date or document; anything past draft is frozen."""
    version = await _locked(session, version_id)
    if version.status != PackStatus.DRAFT:
        raise Conflict(
            f"{workflow.label(version)} is {version.status}; only a draft can change "
            "(copy it into a new draft instead)",
            field="status",
            rule="only_drafts_change",
        )
    header = _header(version.code, title or version.title, effective_from or version.effective_from)
    changed: dict[str, object] = {}
    if document is not None:
        parsed = validate_document(document, prefix="document")
        await _check_kind(session, version.code, parsed.kind)
        text = canonical_json(parsed)
        version.document, version.sha256 = text, sha256_of(text)
        changed["sha256"] = version.sha256
    if header.title != version.title:
        version.title = changed["title"] = header.title
    if header.effective_from != version.effective_from:
        version.effective_from = header.effective_from
        changed["effective_from"] = header.effective_from.isoformat()
    version.updated_by, version.updated_at = actor.name, utcnow()
    session.add(version)
    await session.flush()
    await audit.record(
        session, actor, "policy_pack.updated", "policy_pack_version", version.id, changed
    )
    return version


async def submit(
    session: AsyncSession, actor: Actor, version_id: int, *, reason: str | None = None
) -> PackVersion:
    """Put a draft forward for approval by another admin."""
    version = await _locked(session, version_id)
    await workflow.transition(session, actor, version, PackStatus.SUBMITTED, reason=reason)
    return version


async def withdraw(
    session: AsyncSession, actor: Actor, version_id: int, *, reason: str | None = None
) -> PackVersion:
    """Abandon a draft or a submitted version; it stays readable."""
    version = await _locked(session, version_id)
    await workflow.transition(session, actor, version, PackStatus.WITHDRAWN, reason=reason)
    return version


async def approve(
    session: AsyncSession, actor: Actor, version_id: int, *, reason: str | None = None
) -> PackVersion:
    """Activate a submitted version (four-eyes); it supersedes active versions effective earlier.

    A superseded version still governs the dates before its successor's effective_from.
    """
    version = await _locked(session, version_id)
    workflow.check_transition(version, PackStatus.ACTIVE)
    workflow.check_four_eyes(version, actor)
    # Results already computed for past dates must come out the same when recomputed.
    if actor.role is not Role.SYSTEM and version.effective_from < business_today():
        raise Conflict(
            f"{workflow.label(version)} would take effect on {version.effective_from}, "
            "in the past; set effective_from to today or later in a new draft",
            field="effective_from",
            rule="no_retroactive_activation",
        )
    for older in await repository.active_until(session, version.code, version.effective_from):
        await workflow.transition(
            session,
            actor,
            older,
            PackStatus.SUPERSEDED,
            reason=f"superseded by version {version.version}",
        )
    await workflow.transition(session, actor, version, PackStatus.ACTIVE, reason=reason)
    document = parse_stored(version.document)
    if isinstance(document, NationalPack):
        assert version.id is not None
        await catalog_repository.add_items(
            session, (CatalogItem.from_entry(version.id, document, e) for e in document.catalog)
        )
    return version


async def ensure_defaults(session: AsyncSession) -> list[PackVersion]:
    """Load and activate each shipped pack whose code has no version yet; idempotent."""
    existing = await repository.codes(session)
    activated = []
    for pack in shipped_packs():
        if pack.code in existing:
            continue
        header = PackHeader(code=pack.code, title=pack.title, effective_from=pack.effective_from)
        version = await _insert(session, SYSTEM_ACTOR, header, pack.document)
        assert version.id is not None
        await submit(session, SYSTEM_ACTOR, version.id, reason=DEFAULTS_REASON)
        await approve(session, SYSTEM_ACTOR, version.id, reason=DEFAULTS_REASON)
        activated.append(version)
    return activated
