"""Queries on import batches and their rejected rows."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from credit.ingestion.models import IMPORT_REJECTION_TABLE, ImportBatch, ImportRejection
from credit.kernel.db import ID_MAX

REJECTION = IMPORT_REJECTION_TABLE.c
PAGE = 1000


async def add_batch(session: AsyncSession, batch: ImportBatch) -> int:
    session.add(batch)
    await session.flush()
    assert batch.id is not None
    return batch.id


async def insert_rejections(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(IMPORT_REJECTION_TABLE), list(rows))


async def batch(session: AsyncSession, batch_id: int, kind: str) -> ImportBatch | None:
    if not 1 <= batch_id <= ID_MAX:
        return None
    found = await session.get(ImportBatch, batch_id)
    return found if found is not None and found.kind == kind else None


async def first_rejections(
    session: AsyncSession, batch_id: int, limit: int
) -> tuple[list[ImportRejection], int]:
    """The first `limit` broken rules in line order, and how many there are in all."""
    query = (
        select(ImportRejection)
        .where(REJECTION.batch_id == batch_id)
        .order_by(REJECTION.line, REJECTION.id)
        .limit(limit)
    )
    shown = list((await session.execute(query)).scalars())
    total_query = select(func.count()).where(REJECTION.batch_id == batch_id)
    return shown, int((await session.execute(total_query)).scalar_one())


async def rejections(
    session: AsyncSession, batch_id: int
) -> AsyncIterator[tuple[int, dict[str, Any] | None, str]]:
    """Every (line, original row, message) in line order, read a page at a time."""
    after = (0, 0)
    while True:
        query = (
            select(REJECTION.line, REJECTION.id, REJECTION.original, REJECTION.message)
            .where(REJECTION.batch_id == batch_id)
            .where(tuple_(REJECTION.line, REJECTION.id) > tuple_(*after))
            .order_by(REJECTION.line, REJECTION.id)
            .limit(PAGE)
        )
        page = (await session.execute(query)).all()
        for line, _, original, message in page:
            yield line, (json.loads(original) if original else None), message
        if len(page) < PAGE:
            return
        after = (page[-1].line, page[-1].id)
