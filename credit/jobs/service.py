"""Claim a job's slot before running it, and record how the run ended.

A run is claimed by inserting its (job, scheduled_for) row in a transaction of its own: when two
scheduler processes reach the same slot, the unique key lets exactly one insert through, and only
that process runs the sweep. A process that dies mid-run leaves the row `running`; the slot is
not retried (the sweeps are idempotent, so the next slot does the work).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from credit.jobs import repository
from credit.jobs.models import JobRun, JobRunStatus, JobTrigger
from credit.kernel.clock import utcnow
from credit.kernel.errors import NotFound

MESSAGE_LENGTH = 2000


async def claim(
    session: AsyncSession,
    job: str,
    scheduled_for: datetime,
    *,
    trigger: JobTrigger,
    claimed_by: str,
) -> int | None:
    """The id of the new `running` row, or None when the slot was already claimed."""
    return await repository.insert_claim(
        session,
        {
            "job": job,
            "scheduled_for": scheduled_for,
            "trigger": str(trigger),
            "status": str(JobRunStatus.RUNNING),
            "started_at": utcnow(),
            "counts": {},
            "claimed_by": claimed_by[:120],
        },
    )


async def finish(
    session: AsyncSession,
    run_id: int,
    *,
    ok: bool,
    message: str,
    counts: Mapping[str, int],
) -> JobRun:
    """Record the outcome of a claimed run."""
    await repository.update_run(
        session,
        run_id,
        status=str(JobRunStatus.OK if ok else JobRunStatus.FAILED),
        message=message[:MESSAGE_LENGTH],
        counts=dict(counts),
        finished_at=utcnow(),
    )
    run = await repository.get_run(session, run_id)
    if run is None:
        raise NotFound(f"job run {run_id} does not exist", field="run_id")
    await session.refresh(run)
    return run


async def hold(session: AsyncSession, run_id: int) -> None:
    """Open the sweep's transaction with a write to the run's own row.

    PostgreSQL locks just that row. SQLite takes its database write lock now, so sweeps of
    several processes take turns rather than failing to upgrade a read into a write.
    """
    await repository.update_run(session, run_id, status=str(JobRunStatus.RUNNING))


async def last_slot(session: AsyncSession, job: str) -> datetime | None:
    """The latest slot a scheduler claimed for the job (manual runs are not slots)."""
    return await repository.last_scheduled_for(session, job)


async def recent_runs(session: AsyncSession, job: str, limit: int = 5) -> list[JobRun]:
    return list(await repository.recent_runs(session, job, limit))
