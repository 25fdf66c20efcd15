"""Scheduled jobs: regulators see schedules and outcomes; an admin runs a job now."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from pydantic import BaseModel

from api.db import Database
from api.deps import AppSettings, DbSession
from api.guards import admins, regulators
from api.jobs import registry
from api.jobs.runner import JobRunner
from credit.jobs import service as job_runs
from credit.jobs.models import JobRun
from credit.jobs.schemas import JobRunPublic
from credit.kernel.clock import BUSINESS_TZ, utcnow

JobName = Annotated[str, Parameter(max_length=60, pattern=r"^[a-z_]+$")]
RECENT_RUNS = 5


class JobPublic(BaseModel):
    name: str
    description: str
    schedule: str  # crontab
    timezone: str
    next_run_at: str | None  # ISO time in Asia/Shanghai
    last_runs: list[JobRunPublic]  # newest first


class JobsPublic(BaseModel):
    # embedded: this web process runs them; off: a `medcredit scheduler` process should.
    scheduler: str
    jobs: list[JobPublic]


def _public(run: JobRun) -> JobRunPublic:
    return JobRunPublic.model_validate(run, from_attributes=True)


class JobController(Controller):
    path = "/jobs"
    tags = ["jobs"]

    @get("/", guards=[regulators])
    async def list_jobs(self, db_session: DbSession, settings: AppSettings) -> JobsPublic:
        """Every job with its schedule, next run and its latest runs with their outcomes."""
        now = utcnow()
        answer = []
        for spec in registry.jobs(settings):
            upcoming = spec.trigger().get_next_fire_time(None, now)
            runs = await job_runs.recent_runs(db_session, spec.name, RECENT_RUNS)
            answer.append(
                JobPublic(
                    name=spec.name,
                    description=spec.description,
                    schedule=spec.schedule,
                    timezone=str(BUSINESS_TZ),
                    next_run_at=upcoming.astimezone(BUSINESS_TZ).isoformat() if upcoming else None,
                    last_runs=[_public(run) for run in runs],
                )
            )
        return JobsPublic(scheduler=settings.scheduler, jobs=answer)

    @post("/{name:str}/run", guards=[admins], status_code=200)
    async def run_job(self, name: JobName, state: State, settings: AppSettings) -> JobRunPublic:
        """Run one job now and answer its outcome (a failed sweep answers 200 with `failed`)."""
        database: Database = state.database
        runner = JobRunner(database, settings, registry.jobs(settings))
        return _public(await runner.run_now(name, utcnow()))
