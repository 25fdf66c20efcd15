"""Queries on subject metrics: set-based lookups for a chunk of rows, one bulk insert."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from credit.metrics.models import SUBJECT_METRIC_TABLE
from credit.subjects.models import SUBJECT_TABLE

METRIC = SUBJECT_METRIC_TABLE.c
SUBJECT = SUBJECT_TABLE.c
PAYLOAD_COLUMNS = (
    METRIC.subject_id,
    METRIC.period,
    METRIC.discharges,
    METRIC.total_cost,
    METRIC.fund_payment,
    METRIC.average_cost,
    METRIC.refusal_rate,
    METRIC.suspect_rate,
)


async def existing_subjects(session: AsyncSession, subject_ids: Collection[int]) -> set[int]:
    if not subject_ids:
        return set()
    query = select(SUBJECT.id).where(SUBJECT.id.in_(list(subject_ids)))
    return {int(found) for found in (await session.execute(query)).scalars()}


async def by_reference(
    session: AsyncSession, references: Collection[tuple[str, str]]
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The stored payload under each (source_system, source_ref) already present."""
    if not references:
        return {}
    query = select(METRIC.source_system, METRIC.source_ref, *PAYLOAD_COLUMNS).where(
        tuple_(METRIC.source_system, METRIC.source_ref).in_(list(references))
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in (await session.execute(query)).all()}


async def by_period(
    session: AsyncSession, keys: Collection[tuple[int, str, str]]
) -> dict[tuple[int, str, str], str]:
    """The source_ref already holding each (subject, period, source_system)."""
    if not keys:
        return {}
    query = select(METRIC.subject_id, METRIC.period, METRIC.source_system, METRIC.source_ref).where(
        tuple_(METRIC.subject_id, METRIC.period, METRIC.source_system).in_(list(keys))
    )
    return {(row[0], row[1], row[2]): row[3] for row in (await session.execute(query)).all()}


async def insert_metrics(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(SUBJECT_METRIC_TABLE), list(rows))
