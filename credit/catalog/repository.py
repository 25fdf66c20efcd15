"""Queries on materialised catalog items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.catalog.models import CatalogItem


async def add_items(session: AsyncSession, items: Iterable[CatalogItem]) -> None:
    session.add_all(list(items))
    await session.flush()


async def item(session: AsyncSession, pack_version_id: int, code: str) -> CatalogItem | None:
    query = select(CatalogItem).where(
        col(CatalogItem.pack_version_id) == pack_version_id, col(CatalogItem.code) == code
    )
    return (await session.execute(query)).scalar_one_or_none()


async def items(
    session: AsyncSession,
    pack_version_id: int,
    *,
    category: str | None = None,
    severity: str | None = None,
    subject_kind: str | None = None,
) -> Sequence[CatalogItem]:
    query = (
        select(CatalogItem)
        .where(col(CatalogItem.pack_version_id) == pack_version_id)
        .order_by(col(CatalogItem.id))
    )
    if category is not None:
        query = query.where(col(CatalogItem.category) == category)
    if severity is not None:
        query = query.where(col(CatalogItem.severity) == severity)
    if subject_kind is not None:
        pattern = f",{subject_kind},"
        query = query.where(col(CatalogItem.subject_kinds).contains(pattern, autoescape=True))
    return (await session.execute(query)).scalars().all()
