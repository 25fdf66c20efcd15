"""Indicator sets: drafts, activation (retiring the previous version), and the shipped defaults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.policy import regime
from credit.policy.models import PackVersion
from credit.policy.profile import EvaluationProfile
from credit.subjects.kinds import registry as subject_kinds
from indicators import repository, set_workflow
from indicators.models import IndicatorSet, SetStatus
from indicators.rules import SetDocument
from indicators.validation import check, effective_profile, parse_document

DEFAULTS_REASON = "shipped default indicator set"


@dataclass(frozen=True, slots=True)
class LoadedSet:
    """A set version with its parsed document and the profile (bands maybe replaced) it uses."""

    row: IndicatorSet
    document: SetDocument
    profile: EvaluationProfile

    @property
    def id(self) -> int:
        assert self.row.id is not None
        return self.row.id


async def get_set(session: AsyncSession, set_id: int) -> IndicatorSet:
    found = await repository.get_set(session, set_id)
    if found is None:
        raise NotFound(f"indicator set {set_id} does not exist", field="set_id", rule="exists")
    return found


async def _pinned_profile(session: AsyncSession, version_id: int) -> EvaluationProfile:
    version = await session.get(PackVersion, version_id)
    assert version is not None
    return regime.profile_of(version)


async def load(session: AsyncSession, set_id: int) -> LoadedSet:
    """A set version ready to evaluate with, using the profile version it was pinned to."""
    row = await get_set(session, set_id)
    document = SetDocument.model_validate(row.document)
    profile = await _pinned_profile(session, row.profile_version_id)
    return LoadedSet(row, document, effective_profile(profile, document))


async def _validated(
    session: AsyncSession, profile: EvaluationProfile, raw: dict[str, Any]
) -> SetDocument:
    document = parse_document(raw)
    check(document, profile, await repository.known_item_codes(session))
    return document


def _check_kind(kind: str) -> None:
    if kind not in subject_kinds():
        raise InvalidInput(
            f"{kind} is not a subject kind; known: {', '.join(subject_kinds())}",
            field="subject_kind",
            rule="known_kind",
        )


async def create_draft(
    session: AsyncSession,
    actor: Actor,
    *,
    profile_code: str,
    subject_kind: str,
    title: str,
    document: dict[str, Any] | None,
    copy_from: int | None = None,
) -> IndicatorSet:
    """A new draft version from a document or a copy of another version's; IndicatorSetInvalid
    (422) names each indicator and rule broken."""
    _check_kind(subject_kind)
    if copy_from is not None:
        document = (await get_set(session, copy_from)).document
    if document is None:
        raise InvalidInput("give a document or copy_from", field="document", rule="required")
    rules = await regime.profile_rules(session, profile_code)
    parsed = await _validated(session, rules.profile, document)
    now = utcnow()
    row = IndicatorSet(
        profile_code=profile_code,
        profile_version_id=rules.version.id or 0,
        subject_kind=subject_kind,
        version=await repository.last_set_version(session, profile_code, subject_kind) + 1,
        title=title,
        status=str(SetStatus.DRAFT),
        document=parsed.model_dump(mode="json", exclude_none=True),
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await set_workflow.record_creation(session, actor, row)
    return row


async def update_draft(
    session: AsyncSession,
    actor: Actor,
    set_id: int,
    *,
    title: str | None = None,
    document: dict[str, Any] | None = None,
) -> IndicatorSet:
    """Change a draft; an active or retired version is never edited."""
    row = await get_set(session, set_id)
    if row.status != SetStatus.DRAFT:
        raise Conflict(
            f"{set_workflow.label(row)} is {row.status}; only a draft may be edited",
            field="status",
            rule="draft_only",
        )
    if document is not None:
        profile = await _pinned_profile(session, row.profile_version_id)
        parsed = await _validated(session, profile, document)
        row.document = parsed.model_dump(mode="json", exclude_none=True)
    if title is not None:
        row.title = title
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return row


async def activate(
    session: AsyncSession, actor: Actor, set_id: int, *, reason: str | None = None
) -> IndicatorSet:
    """Activate a draft; the version active for the same profile and kind retires."""
    row = await get_set(session, set_id)
    set_workflow.check(row, SetStatus.ACTIVE)
    for previous in await repository.sets(
        session,
        profile_code=row.profile_code,
        kind=row.subject_kind,
        status=str(SetStatus.ACTIVE),
    ):
        await set_workflow.transition(
            session, actor, previous, SetStatus.RETIRED, reason=f"replaced by version {row.version}"
        )
    await set_workflow.transition(session, actor, row, SetStatus.ACTIVE, reason=reason)
    return row


async def retire(
    session: AsyncSession, actor: Actor, set_id: int, *, reason: str | None = None
) -> IndicatorSet:
    row = await get_set(session, set_id)
    await set_workflow.transition(session, actor, row, SetStatus.RETIRED, reason=reason)
    return row


async def active_set(session: AsyncSession, profile_code: str, kind: str) -> IndicatorSet | None:
    found = await repository.sets(
        session, profile_code=profile_code, kind=kind, status=str(SetStatus.ACTIVE), limit=1
    )
    return found[0] if found else None


def shipped_sets() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(profile code, kind, title, document) of every default set in indicators/defaults."""
    shipped = []
    folder = resources.files("indicators") / "defaults"
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yaml"):
            continue
        content = yaml.safe_load(entry.read_text(encoding="utf-8"))
        for kind, spec in content["sets"].items():
            shipped.append((content["profile"], kind, spec["title"], spec["document"]))
    return shipped


async def ensure_default_sets(session: AsyncSession) -> Sequence[IndicatorSet]:
    """Create and activate each shipped set whose profile and kind have no version yet."""
    created = []
    for profile_code, kind, title, document in shipped_sets():
        if await repository.last_set_version(session, profile_code, kind):
            continue
        row = await create_draft(
            session,
            SYSTEM_ACTOR,
            profile_code=profile_code,
            subject_kind=kind,
            title=title,
            document=document,
        )
        await activate(session, SYSTEM_ACTOR, row.id or 0, reason=DEFAULTS_REASON)
        created.append(row)
    return created
