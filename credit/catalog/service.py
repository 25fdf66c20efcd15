"""Catalog look-ups: the item a record is made under, and the listing the public reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.catalog import repository
from credit.catalog.models import CatalogItem
from credit.kernel.clock import business_today
from credit.kernel.errors import NotFound
from credit.policy import regime
from credit.policy import repository as packs
from credit.policy.models import ACTIVATED, PackVersion
from credit.policy.vocabulary import Category, Severity


async def item_for(
    session: AsyncSession, code: str, on: date, *, pack_code: str = regime.NATIONAL
) -> CatalogItem:
    """The item `code` of the catalog in force on business date `on`; its row names the version."""
    version = await regime.regime_at(session, pack_code, on)
    item = await repository.item(session, version.id or 0, code)
    where = f"the {pack_code} catalog version {version.version} in force on {on.isoformat()}"
    if item is None:
        raise NotFound(f"{code} is not an item of {where}", field="item_code", rule="known_item")
    if not item.in_force_on(on):
        raise NotFound(
            f"{code} of {where} applies from {item.effective_from} to {item.effective_to}",
            field="item_code",
            rule="item_in_force",
        )
    return item


@dataclass(frozen=True, slots=True)
class CatalogListing:
    version: PackVersion
    items: list[CatalogItem]


async def _activated_version(session: AsyncSession, pack_code: str, number: int) -> PackVersion:
    version = await packs.by_number(session, pack_code, number)
    if version is None or version.status not in ACTIVATED:
        raise NotFound(
            f"{pack_code} version {number} was never activated, so it has no catalog",
            field="version",
            rule="activated_version",
        )
    return version


async def items(
    session: AsyncSession,
    *,
    on: date | None = None,
    version: int | None = None,
    category: Category | None = None,
    severity: Severity | None = None,
    subject_kind: str | None = None,
    pack_code: str = regime.NATIONAL,
) -> CatalogListing:
    """Items of one catalog version (by number, or the one in force on `on` or today).

    Without an explicit version, only items in force on that date are listed.
    """
    if version is not None:
        pack = await _activated_version(session, pack_code, version)
        day = on
    else:
        day = on or business_today()
        pack = await regime.regime_at(session, pack_code, day)
    rows = await repository.items(
        session,
        pack.id or 0,
        category=str(category) if category else None,
        severity=str(severity) if severity else None,
        subject_kind=subject_kind,
    )
    return CatalogListing(pack, [row for row in rows if day is None or row.in_force_on(day)])
