"""Run due jobs once across every scheduler process: claim the slot, run, record the outcome.

`run_due(now)` is the whole scheduling decision and takes the clock as an argument, so tests
drive it without sleeping; APScheduler only decides when to call it. For each job the latest
slot at or before `now` since its last claimed slot is due: after downtime the missed slots
collapse into that one run (a catch-up), and a slot another process claimed is skipped.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from api.db import Database
from api.jobs.registry import Counts, JobContext, JobSpec
from api.settings import Settings
from credit.jobs import service as job_runs
from credit.jobs.models import JobRun, JobTrigger
from credit.kernel.clock import business_date
from credit.kernel.errors import Conflict, DomainError, NotFound

log = logging.getLogger("medcredit.jobs")
TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class DueSlot:
    scheduled_for: datetime  # UTC
    missed: int  # slots since the last run, this one included


def latest_slot(spec: JobSpec, last: datetime | None, now: datetime) -> DueSlot | None:
    """The latest slot in (last, now] within the job's catch-up window, or None."""
    trigger = spec.trigger()
    horizon = now - spec.catch_up_within
    start = horizon if last is None or last < horizon else last
    found, missed = None, 0
    fire = trigger.get_next_fire_time(None, start + TICK)
    while fire is not None and fire <= now:
        found, missed = fire, missed + 1
        fire = trigger.get_next_fire_time(fire, fire + TICK)
    return None if found is None else DueSlot(found.astimezone(UTC), missed)


def summary(counts: Counts) -> str:
    return ", ".join(f"{name}: {value}" for name, value in counts.items()) or "nothing to do"


@dataclass
class JobRunner:
    database: Database
    settings: Settings
    jobs: list[JobSpec]
    identity: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )

    def job(self, name: str) -> JobSpec:
        for spec in self.jobs:
            if spec.name == name:
                return spec
        raise NotFound(f"no job is called {name}", field="name", rule="known_job")

    async def run_due(self, now: datetime, only: Iterable[str] | None = None) -> list[JobRun]:
        """Claim and run every job due at `now`; the runs this process made."""
        names = None if only is None else set(only)
        done = []
        for spec in self.jobs:
            if names is not None and spec.name not in names:
                continue
            async with self.database.transaction() as session:
                last = await job_runs.last_slot(session, spec.name)
            slot = latest_slot(spec, last, now)
            if slot is None:
                continue
            # A first run ever is on schedule; after a run, more than one slot means downtime.
            caught_up = last is not None and slot.missed > 1
            trigger = JobTrigger.CATCH_UP if caught_up else JobTrigger.SCHEDULE
            run = await self._claim_and_run(spec, slot.scheduled_for, trigger, now)
            if run is not None:
                done.append(run)
        return done

    async def run_now(self, name: str, now: datetime) -> JobRun:
        """Run one job at once, outside its schedule (an admin asked)."""
        spec = self.job(name)
        run = await self._claim_and_run(spec, now, JobTrigger.MANUAL, now)
        if run is None:  # the same microsecond twice: only possible with a frozen clock
            raise Conflict(f"job {name} was already started at {now.isoformat()}", rule="claimed")
        return run

    async def _claim_and_run(
        self, spec: JobSpec, scheduled_for: datetime, trigger: JobTrigger, now: datetime
    ) -> JobRun | None:
        # The claim commits on its own: from here on no other process runs this slot.
        async with self.database.transaction() as session:
            run_id = await job_runs.claim(
                session, spec.name, scheduled_for, trigger=trigger, claimed_by=self.identity
            )
        if run_id is None:
            log.info("job %s at %s: claimed by another scheduler", spec.name, scheduled_for)
            return None
        context = JobContext(now=now, today=business_date(now), settings=self.settings)
        try:
            async with self.database.transaction() as session:
                await job_runs.hold(session, run_id)
                counts = await spec.sweep(session, context)
            ok, message = True, summary(counts)
        except Exception as error:  # a failed sweep is recorded, and the scheduler goes on
            log.exception("job %s failed", spec.name)
            counts = {}
            ok = False
            message = error.message if isinstance(error, DomainError) else str(error)
            message = f"{type(error).__name__}: {message}"
        async with self.database.transaction() as session:
            return await job_runs.finish(session, run_id, ok=ok, message=message, counts=counts)
