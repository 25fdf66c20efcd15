"""The runner: each slot runs once across scheduler processes, missed slots catch up once.

The clock is an argument (`run_due(now)`), so nothing here sleeps or depends on timing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlmodel import col

from api.cli.main import cli
from api.db import Database
from api.jobs import registry
from api.jobs.registry import Counts, JobContext, JobSpec
from api.jobs.runner import JobRunner, latest_slot
from api.jobs.scheduler import start_scheduler, stop_scheduler
from api.settings import Settings, get_settings
from credit.jobs.models import JobRun
from credit.kernel.clock import BUSINESS_TZ
from credit.kernel.errors import NotFound

# Ten past midnight in Shanghai is 16:10 UTC the day before.
SLOT = datetime(2026, 3, 2, 0, 10, tzinfo=BUSINESS_TZ).astimezone(UTC)


def counting_jobs(calls: Counter[str]) -> list[JobSpec]:
    async def sweep(_session: object, context: JobContext) -> Counts:
        calls["daily"] += 1
        return {"today": context.today.day}

    async def broken(_session: object, _context: JobContext) -> Counts:
        calls["broken"] += 1
        raise RuntimeError("the archive server did not answer")

    return [
        JobSpec("daily", "a daily sweep", "10 0 * * *", sweep),
        JobSpec("broken", "always fails", "10 0 * * *", broken),
    ]


async def _runs(db: Database, job: str) -> list[JobRun]:
    async with db.transaction() as session:
        query = select(JobRun).where(col(JobRun.job) == job).order_by(col(JobRun.scheduled_for))
        return list((await session.execute(query)).scalars())


async def test_two_schedulers_started_at_once_run_each_slot_once(
    db: Database, settings: Settings
) -> None:
    calls: Counter[str] = Counter()
    other_db = Database(settings.database_url)  # a second process: its own engine and pool
    try:
        first = JobRunner(db, settings, counting_jobs(calls), identity="host-a:1")
        second = JobRunner(other_db, settings, counting_jobs(calls), identity="host-b:2")
        now = SLOT + timedelta(minutes=1)
        done = await asyncio.gather(first.run_due(now), second.run_due(now))
    finally:
        await other_db.dispose()
    assert calls == Counter({"daily": 1, "broken": 1})
    assert sorted(run.job for runs in done for run in runs) == ["broken", "daily"]
    (daily,) = await _runs(db, "daily")
    assert (daily.scheduled_for, daily.status, daily.trigger) == (SLOT, "ok", "schedule")
    assert daily.counts == {"today": 2}
    assert daily.claimed_by in {"host-a:1", "host-b:2"}
    assert daily.finished_at is not None


@pytest.mark.usefixtures("policy_defaults")
async def test_real_sweeps_run_once_with_two_schedulers(db: Database, settings: Settings) -> None:
    other_db = Database(settings.database_url)
    jobs = registry.jobs(settings)
    try:
        first = JobRunner(db, settings, jobs)
        second = JobRunner(other_db, settings, jobs)
        now = datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ).astimezone(UTC)
        await asyncio.gather(first.run_due(now), second.run_due(now))
        await asyncio.gather(first.run_due(now), second.run_due(now))  # and again: nothing new
    finally:
        await other_db.dispose()
    async with db.transaction() as session:
        runs = list((await session.execute(select(JobRun))).scalars())
    assert sorted(run.job for run in runs) == sorted(spec.name for spec in jobs)
    failed = {run.job: run.message for run in runs if run.status != "ok"}
    assert failed == {}


async def test_a_missed_week_is_caught_up_once(db: Database, settings: Settings) -> None:
    calls: Counter[str] = Counter()
    runner = JobRunner(db, settings, counting_jobs(calls)[:1])
    await runner.run_due(SLOT)
    # The scheduler was down for five days: five slots missed, one run when it comes back.
    back = SLOT + timedelta(days=5, hours=3)
    (caught_up,) = await runner.run_due(back)
    assert await runner.run_due(back + timedelta(minutes=5)) == []
    assert (caught_up.scheduled_for, caught_up.trigger) == (SLOT + timedelta(days=5), "catch_up")
    (on_time,) = await runner.run_due(SLOT + timedelta(days=6))
    assert (on_time.scheduled_for, on_time.trigger) == (SLOT + timedelta(days=6), "schedule")
    assert calls["daily"] == 3
    assert len(await _runs(db, "daily")) == 3


async def test_nothing_is_due_between_slots(db: Database, settings: Settings) -> None:
    calls: Counter[str] = Counter()
    runner = JobRunner(db, settings, counting_jobs(calls)[:1])
    await runner.run_due(SLOT)
    assert await runner.run_due(SLOT + timedelta(hours=23)) == []
    assert calls["daily"] == 1


async def test_a_failed_sweep_is_recorded_and_the_next_slot_runs(
    db: Database, settings: Settings
) -> None:
    calls: Counter[str] = Counter()
    runner = JobRunner(db, settings, counting_jobs(calls))
    await runner.run_due(SLOT)
    await runner.run_due(SLOT + timedelta(days=1))
    failed = await _runs(db, "broken")
    assert [run.status for run in failed] == ["failed", "failed"]
    assert failed[0].message == "RuntimeError: the archive server did not answer"
    assert [run.status for run in await _runs(db, "daily")] == ["ok", "ok"]


async def test_a_manual_run_is_not_a_slot(db: Database, settings: Settings) -> None:
    calls: Counter[str] = Counter()
    runner = JobRunner(db, settings, counting_jobs(calls)[:1])
    manual = await runner.run_now("daily", SLOT - timedelta(hours=1))
    assert (manual.trigger, manual.status) == ("manual", "ok")
    (scheduled,) = await runner.run_due(SLOT)  # the slot still runs
    assert scheduled.trigger == "schedule"
    with pytest.raises(NotFound):
        await runner.run_now("nonexistent", SLOT)


def test_slots_follow_shanghai_time_and_the_catch_up_window() -> None:
    spec = JobSpec("daily", "d", "10 0 * * *", registry.DEFAULT_JOBS[0].sweep)
    assert latest_slot(spec, None, SLOT - timedelta(seconds=1)) is not None
    due = latest_slot(spec, SLOT - timedelta(days=1), SLOT)
    assert due is not None
    assert (due.scheduled_for, due.missed) == (SLOT, 1)
    # Down for a month: only the window's slots count, and they fold into the latest one.
    long_gap = latest_slot(spec, SLOT - timedelta(days=30), SLOT)
    assert long_gap is not None
    assert (long_gap.scheduled_for, long_gap.missed) == (SLOT, 7)
    assert latest_slot(spec, SLOT, SLOT + timedelta(hours=1)) is None


def test_schedules_are_configurable_and_checked() -> None:
    custom = Settings(secret_key="k" * 32, job_schedules={"lists": "45 1 * * *"})
    lists = next(spec for spec in registry.jobs(custom) if spec.name == "lists")
    assert lists.schedule == "45 1 * * *"
    with pytest.raises(ValueError, match="names no job"):
        registry.jobs(Settings(secret_key="k" * 32, job_schedules={"listz": "0 1 * * *"}))
    with pytest.raises(ValueError, match="maximum value"):
        registry.jobs(Settings(secret_key="k" * 32, job_schedules={"lists": "61 1 * * *"}))


def test_scheduler_mode_follows_the_database() -> None:
    env = {"MEDCREDIT_SECRET_KEY": "k" * 32}
    assert Settings.from_env(env).scheduler == "embedded"
    postgres = {**env, "MEDCREDIT_DATABASE_URL": "postgresql+asyncpg://db/medcredit"}
    assert Settings.from_env(postgres).scheduler == "off"
    assert Settings.from_env({**env, "MEDCREDIT_SCHEDULER": "off"}).scheduler == "off"
    with pytest.raises(ValueError, match="MEDCREDIT_SCHEDULER"):
        Settings.from_env({**env, "MEDCREDIT_SCHEDULER": "sometimes"})


async def test_apscheduler_fires_each_job_at_its_shanghai_slot(
    db: Database, settings: Settings
) -> None:
    scheduler = start_scheduler(db, settings, paused=True)
    try:
        names = {job.id for job in scheduler.get_jobs()}
        lists = scheduler.get_job("lists")
    finally:
        stop_scheduler(scheduler)
    assert names == {spec.name for spec in registry.DEFAULT_JOBS} | {"catch_up"}
    assert lists is not None
    fire = lists.next_run_time.astimezone(BUSINESS_TZ)
    assert (fire.hour, fire.minute) == (0, 15)
    assert (lists.coalesce, lists.misfire_grace_time, lists.max_instances) == (True, None, 1)


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", "test-secret-key-that-is-long-enough")
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.mark.usefixtures("policy_defaults")
async def test_scheduler_once_runs_what_is_due_then_nothing(run_cli: CliRunner) -> None:
    first = await asyncio.to_thread(run_cli.invoke, cli, ["scheduler", "--once"])
    assert first.exit_code == 0, first.output
    assert {line.split(" ")[0] for line in first.output.splitlines()} == {
        spec.name for spec in registry.DEFAULT_JOBS
    }
    assert "failed" not in first.output
    again = await asyncio.to_thread(run_cli.invoke, cli, ["scheduler", "--once"])
    assert again.output.strip() == "no job is due"
