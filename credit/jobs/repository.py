"""Queries on job runs; the claim is one INSERT that only one process can win."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.jobs.models import JobRun


async def insert_claim(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a run row; None when another process already holds (job, scheduled_for)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(JobRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["job", "scheduled_for"])
        .returning(col(JobRun.id))
    )
    found = (await session.execute(statement)).scalar_one_or_none()
    return None if found is None else int(found)


async def last_scheduled_for(session: AsyncSession, job: str) -> datetime | None:
    """The latest slot claimed for a scheduled (not manual) run of the job."""
    query = select(func.max(col(JobRun.scheduled_for))).where(
        col(JobRun.job) == job, col(JobRun.trigger) != "manual"
    )
    # max() keeps the column's type, so the answer is an aware UTC datetime on both databases.
    return (await session.execute(query)).scalar_one_or_none()


async def recent_runs(session: AsyncSession, job: str, limit: int) -> Sequence[JobRun]:
    query = (
        select(JobRun)
        .where(col(JobRun.job) == job)
        .order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def get_run(session: AsyncSession, run_id: int) -> JobRun | None:
    return await session.get(JobRun, run_id)


async def update_run(session: AsyncSession, run_id: int, **values: Any) -> None:
    """Write first, read after: on SQLite a transaction that starts with a write takes the
    write lock (waiting its turn) instead of failing to upgrade a read snapshot later."""
    await session.execute(update(JobRun).where(col(JobRun.id) == run_id).values(**values))
