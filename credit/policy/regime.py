"""Which rules govern a business date, and the typed documents other modules read.

Every module that applies a number from a pack asks here, and records the version id it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.clock import business_today
from credit.kernel.errors import InvalidInput, NotFound
from credit.policy import repository
from credit.policy.document import PolicyDocument, parse_stored
from credit.policy.models import PackStatus, PackVersion
from credit.policy.national import NationalPack
from credit.policy.profile import EvaluationProfile

NATIONAL = "national"


async def regime_at(session: AsyncSession, code: str, on: date) -> PackVersion:
    """The approved version of `code` with the latest effective_from on or before `on`."""
    version = await repository.in_force(session, code, on)
    if version is None:
        raise NotFound(
            f"no approved version of policy pack {code} is in force on {on.isoformat()}",
            field="on",
            rule="regime_in_force",
            extra={"code": code},
        )
    return version


async def current(session: AsyncSession, code: str = NATIONAL) -> PackVersion:
    """The version of `code` in force today (Asia/Shanghai)."""
    return await regime_at(session, code, business_today())


def document_of(version: PackVersion) -> PolicyDocument:
    """The version's parsed, typed document (parsed once per process)."""
    return parse_stored(version.document)


def national_of(version: PackVersion) -> NationalPack:
    document = document_of(version)
    if not isinstance(document, NationalPack):
        raise InvalidInput(
            f"policy pack {version.code} is a {version.kind} pack, not national rules",
            field="code",
            rule="pack_kind",
        )
    return document


def profile_of(version: PackVersion) -> EvaluationProfile:
    document = document_of(version)
    if not isinstance(document, EvaluationProfile):
        raise InvalidInput(
            f"policy pack {version.code} is a {version.kind} pack, not an evaluation profile",
            field="code",
            rule="pack_kind",
        )
    return document


@dataclass(frozen=True, slots=True)
class NationalRules:
    """The national rules in force on a date, with the version to record alongside results."""

    version: PackVersion
    pack: NationalPack

    @property
    def version_id(self) -> int:
        assert self.version.id is not None
        return self.version.id


async def national_rules(
    session: AsyncSession, on: date | None = None, *, code: str = NATIONAL
) -> NationalRules:
    """Publication periods, points, deadlines, lists and measures in force on `on` (today)."""
    version = await regime_at(session, code, on or business_today())
    return NationalRules(version=version, pack=national_of(version))


@dataclass(frozen=True, slots=True)
class ProfileRules:
    version: PackVersion
    profile: EvaluationProfile


async def profile_rules(session: AsyncSession, code: str, on: date | None = None) -> ProfileRules:
    """A provincial evaluation profile in force on `on` (today)."""
    version = await regime_at(session, code, on or business_today())
    return ProfileRules(version=version, profile=profile_of(version))


async def versions(
    session: AsyncSession,
    *,
    after_id: int | None = None,
    limit: int = 100,
    status: PackStatus | None = None,
    code: str | None = None,
) -> Sequence[PackVersion]:
    """Versions in creation order, optionally of one status or code."""
    return await repository.page(session, after_id=after_id, limit=limit, status=status, code=code)
