"""APScheduler (3.x) calls the runner at each job's slots; the runner decides what runs.

One AsyncIOScheduler job per sweep, with its CronTrigger in Asia/Shanghai. `coalesce` folds
the fire times APScheduler itself missed (a suspended laptop, a long sweep) into one call and
`misfire_grace_time=None` runs that call however late; missed slots across restarts are the
runner's catch-up, done once when the scheduler starts. Several scheduler processes may run:
the `job_run` claim lets exactly one of them run each slot.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from api.db import Database
from api.jobs import registry
from api.jobs.runner import JobRunner
from api.settings import Settings
from credit.kernel.clock import BUSINESS_TZ, utcnow

log = logging.getLogger("medcredit.scheduler")
# APScheduler reports every add and every call at INFO; the job_run rows are the record here.
logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def _run_due(runner: JobRunner, only: list[str] | None) -> None:
    try:
        await runner.run_due(utcnow(), only)
    except Exception:  # the database may be down for a moment; the next slot tries again
        log.exception("scheduled run failed before its jobs could be recorded")


def start_scheduler(
    database: Database, settings: Settings, *, paused: bool = False
) -> AsyncIOScheduler:
    """Start the scheduler on the running event loop, catching up missed slots first."""
    runner = JobRunner(database, settings, registry.jobs(settings))
    scheduler = AsyncIOScheduler(timezone=BUSINESS_TZ)
    for spec in runner.jobs:
        scheduler.add_job(
            _run_due,
            trigger=spec.trigger(),
            args=[runner, [spec.name]],
            id=spec.name,
            name=spec.name,
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
        )
    # Catch-up: each job's slots missed while no scheduler ran collapse into one run now.
    scheduler.add_job(_run_due, args=[runner, None], id="catch_up", max_instances=1)
    scheduler.start(paused=paused)
    log.info("scheduler %s started with %d jobs", runner.identity, len(runner.jobs))
    return scheduler


def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)


async def serve_forever(settings: Settings) -> None:
    """`medcredit scheduler`: run the jobs until SIGINT or SIGTERM."""
    database = Database(settings.database_url)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for received in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # Windows has no signal handlers on the loop
            loop.add_signal_handler(received, stopping.set)
    scheduler = start_scheduler(database, settings)
    try:
        await stopping.wait()
    finally:
        stop_scheduler(scheduler)
        await database.dispose()
