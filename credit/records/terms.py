"""What the catalog and the policy in force at a decision date say about a record's item.

Records keep the regime of their decision date: the national pack version in force on that date
supplies the item (category, default severity, subject kinds, legal basis) and the publication
period of its severity. The approved versions are read once and the regime of a date is chosen in
memory; items are cached per (pack version, item code), so an import of a million rows asks the
database once per distinct item.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from credit.catalog import repository as catalog
from credit.catalog.models import CatalogItem
from credit.kernel.errors import DomainError, InvalidInput, NotFound
from credit.policy import regime
from credit.policy.models import PackVersion
from credit.policy.national import NationalPack
from credit.policy.vocabulary import FAVOURABLE_CATEGORIES, Severity
from credit.records import repository
from credit.records.publication import PublicationTerms

RESOLVED_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class ItemTerms:
    """A catalog item as one pack version defines it, with that version's severity tiers."""

    code: str
    category: str
    severity: str | None
    subject_kinds: frozenset[str]
    legal_basis: str | None
    pack_version_id: int
    own_publication: PublicationTerms | None
    tier_publication: dict[str, PublicationTerms]

    @property
    def favourable(self) -> bool:
        return self.category in FAVOURABLE_CATEGORIES

    def publication(self, severity: str | None) -> PublicationTerms:
        """The item's own period where it has one, else that of `severity`'s tier."""
        if self.own_publication is not None:
            return self.own_publication
        if severity is None:
            return PublicationTerms(published_by_default=False, min_months=0, max_months=0)
        return self.tier_publication[severity]


def _tiers(document: NationalPack) -> dict[str, PublicationTerms]:
    return {
        str(severity): PublicationTerms(
            published_by_default=tier.published_by_default,
            min_months=tier.publication.min_months,
            max_months=tier.publication.max_months,
        )
        for severity in Severity
        for tier in [document.severity_tiers.of(severity)]
    }


def _terms(item: CatalogItem, document: NationalPack) -> ItemTerms:
    entry = document.entry(item.code)
    own = None
    if entry is not None and entry.publication is not None:
        own = PublicationTerms(
            published_by_default=item.published_by_default,
            min_months=item.publication_min_months,
            max_months=item.publication_max_months,
        )
    return ItemTerms(
        code=item.code,
        category=item.category,
        severity=item.severity,
        subject_kinds=frozenset(item.kinds),
        legal_basis=item.legal_basis,
        pack_version_id=item.pack_version_id,
        own_publication=own,
        tier_publication=_tiers(document),
    )


@dataclass(frozen=True, slots=True)
class _Regime:
    version_id: int
    number: int
    document: NationalPack


def _approval_order(version: PackVersion) -> tuple[date, datetime, int]:
    # The order of `credit.policy.repository.in_force`: the latest effective_from governs, and
    # of two versions effective the same day, the one approved last.
    approved_at = version.approved_at or datetime.min.replace(tzinfo=UTC)
    return version.effective_from, approved_at, version.id or 0


class TermsCache:
    """Items in force at decision dates, looked up once per (regime, code).

    The approved national versions are read once; the regime of each decision date is then
    chosen in memory, so an import asks the database once per catalog item it meets.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._versions: list[PackVersion] | None = None
        self._starts: list[date] = []
        self._regimes: dict[int, _Regime | DomainError] = {}
        self._items: dict[tuple[int, str], tuple[CatalogItem, ItemTerms] | None] = {}
        self._resolved: dict[tuple[str, date], ItemTerms | DomainError] = {}

    async def _version_at(self, on: date) -> PackVersion:
        if self._versions is None:
            versions = await repository.approved_versions(self.session, regime.NATIONAL)
            self._versions = sorted(versions, key=_approval_order)
            self._starts = [version.effective_from for version in self._versions]
        index = bisect.bisect_right(self._starts, on) - 1
        if index < 0:
            raise NotFound(
                f"no approved version of policy pack {regime.NATIONAL} is in force on "
                f"{on.isoformat()}",
                field="on",
                rule="regime_in_force",
            )
        return self._versions[index]

    async def _regime(self, on: date) -> _Regime:
        try:
            version = await self._version_at(on)
            assert version.id is not None
            found = self._regimes.get(version.id)
            if found is None:
                try:
                    found = _Regime(version.id, version.version, regime.national_of(version))
                except DomainError as error:
                    found = error
                self._regimes[version.id] = found
            if isinstance(found, DomainError):
                raise found
            return found
        except DomainError as error:
            raise InvalidInput(
                f"no national policy was in force on the decision date {on}: {error.message}",
                field="decided_on",
                rule="regime_in_force",
            ) from None

    async def item(self, code: str, decided_on: date) -> ItemTerms:
        """The item `code` as the regime of `decided_on` defines it, or a DomainError."""
        in_force = await self._regime(decided_on)
        key = (in_force.version_id, code)
        if key not in self._items:
            row = await catalog.item(self.session, in_force.version_id, code)
            self._items[key] = (row, _terms(row, in_force.document)) if row else None
        found = self._items[key]
        where = f"the national catalog version {in_force.number} in force on {decided_on}"
        if found is None:
            raise NotFound(
                f"{code} is not an item of {where}", field="item_code", rule="known_item"
            )
        row, terms = found
        # An item can start or end inside a pack version's life, so the date is checked per row.
        if not row.in_force_on(decided_on):
            raise NotFound(
                f"{code} of {where} applies from {row.effective_from} to {row.effective_to}",
                field="item_code",
                rule="item_in_force",
            )
        return terms

    async def prepare(self, keys: Iterable[tuple[str, date]]) -> None:
        """Resolve each (code, decision date) not met before, so `resolved` can answer them."""
        if len(self._resolved) > RESOLVED_LIMIT:
            self._resolved.clear()  # memory stays flat over any number of distinct dates
        for key in keys:
            if key not in self._resolved:
                try:
                    self._resolved[key] = await self.item(*key)
                except DomainError as error:
                    self._resolved[key] = error

    def resolved(self, code: str, decided_on: date) -> ItemTerms | DomainError:
        """The item, or why there is none, for a key given to `prepare` before."""
        return self._resolved[code, decided_on]
