"""Every periodic sweep of DESIGN section 12, wired across packages (the composition root).

Each job is idempotent: it reads the state and does what is due, so a run that happens twice or
late does the right thing once. Default schedules are crontab lines in Asia/Shanghai; each can
be replaced with MEDCREDIT_JOB_SCHEDULE_<JOB> (e.g. MEDCREDIT_JOB_SCHEDULE_LISTS="15 1 * * *").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from credit.feeds import snapshots as feed_snapshots
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.clock import BUSINESS_TZ
from credit.lists.sweep import sweep_lists
from credit.measures.service import sweep_measures
from credit.records.publication import sweep_publication
from indicators.points_reset import turn_points_year
from indicators.publicity_sweep import close_publicity
from indicators.scheduled_runs import start_due_cycles
from repair.sweep import sweep_deadlines

Counts = dict[str, int]


@dataclass(frozen=True, slots=True)
class JobContext:
    now: datetime  # when the run started (UTC)
    today: date  # the business date of `now` (Asia/Shanghai)
    settings: Settings


Sweep = Callable[[AsyncSession, JobContext], Awaitable[Counts]]


@dataclass(frozen=True, slots=True)
class JobSpec:
    name: str
    description: str
    schedule: str  # crontab, Asia/Shanghai
    sweep: Sweep
    # Slots missed longer ago than this are not caught up (the sweeps look at the state, so the
    # latest slot does the work of all the missed ones).
    catch_up_within: timedelta = timedelta(days=7)

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.schedule, timezone=BUSINESS_TZ)


async def _points_year(session: AsyncSession, context: JobContext) -> Counts:
    turned = await turn_points_year(session, context.today)
    return {"reset": turned.reset, "suspensions_ended": turned.suspensions_ended}


async def _publication(session: AsyncSession, context: JobContext) -> Counts:
    return {"ended": await sweep_publication(session, SYSTEM_ACTOR, context.today)}


async def _lists(session: AsyncSession, context: JobContext) -> Counts:
    return {"expired": await sweep_lists(session, context.today)}


async def _measures(session: AsyncSession, context: JobContext) -> Counts:
    return {"ended": await sweep_measures(session, context.today)}


async def _publicity(session: AsyncSession, context: JobContext) -> Counts:
    return {"published": await close_publicity(session, context.today)}


async def _deadlines(session: AsyncSession, context: JobContext) -> Counts:
    return {"cases": await sweep_deadlines(session, context.today)}


async def _evaluations(session: AsyncSession, context: JobContext) -> Counts:
    profiles = context.settings.scheduled_evaluations
    return {"started": len(await start_due_cycles(session, context.today, profiles))}


async def _feed_snapshots(session: AsyncSession, context: JobContext) -> Counts:
    return {"refreshed": await feed_snapshots.refresh(session)}


DEFAULT_JOBS = (
    JobSpec(
        "points_year",
        "Personnel points year: totals reset to zero when the pack's points year begins "
        "(1 January); suspensions served are lifted",
        "5 0 * * *",
        _points_year,
        catch_up_within=timedelta(days=400),
    ),
    JobSpec(
        "publication", "Record publication expiry (公示期满停止公示)", "10 0 * * *", _publication
    ),
    JobSpec("lists", "List entries whose validity ended are removed", "15 0 * * *", _lists),
    JobSpec("measures", "Measure assignments whose duration ran out end", "20 0 * * *", _measures),
    JobSpec(
        "publicity",
        "Evaluation runs whose publicity (公示) ended are published",
        "30 0 * * *",
        _publicity,
    ),
    JobSpec(
        "deadlines",
        "Objection and repair deadlines: reminders before, escalation when overdue",
        "0 8 * * *",
        _deadlines,
    ),
    JobSpec(
        "evaluations",
        "Scheduled evaluation cycles (profiles in MEDCREDIT_SCHEDULED_EVALUATIONS)",
        "0 2 * * *",
        _evaluations,
        catch_up_within=timedelta(days=400),
    ),
    JobSpec("feed_snapshots", "Partner feed snapshots refreshed", "0 3 * * *", _feed_snapshots),
)


def jobs(settings: Settings, defaults: tuple[JobSpec, ...] = DEFAULT_JOBS) -> list[JobSpec]:
    """The jobs with the deployment's schedule overrides; a bad crontab fails at start."""
    overrides: Mapping[str, str] = settings.job_schedules
    unknown = sorted(set(overrides) - {spec.name for spec in defaults})
    if unknown:
        raise ValueError(f"MEDCREDIT_JOB_SCHEDULE_{unknown[0].upper()} names no job")
    chosen = []
    for spec in defaults:
        schedule = overrides.get(spec.name, spec.schedule)
        chosen.append(
            JobSpec(spec.name, spec.description, schedule, spec.sweep, spec.catch_up_within)
        )
        chosen[-1].trigger()  # a malformed crontab line is refused here, not at 00:10
    return chosen
