"""The publicity sweep publishes a run once publicity is over; scheduled cycles start once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import col

from api.db import Database
from credit.kernel.errors import InvalidInput
from credit.notifications.models import Notification
from indicators import run_workflow, runs
from indicators.models import EvaluationRun, RunStatus
from indicators.publicity_sweep import close_publicity
from indicators.scheduled_runs import cycle_just_ended, start_due_cycles
from tests.indicators.support import OFFICER, REVIEWER, add_record, hospital, seed
from tests.indicators.test_runs import _run


async def _in_publicity(db: Database, opened_on: date) -> int:
    await seed(db)
    subject = await hospital(db, 1)
    await add_record(db, subject, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    run_id = await _run(db)
    async with db.transaction() as session:
        run = await runs.advance(session, OFFICER, run_id, RunStatus.IN_REVIEW)
        await run_workflow.transition(
            session, REVIEWER, run, RunStatus.PUBLICITY, opened_on=opened_on
        )
    return run_id


async def _kinds(db: Database, kind: str) -> list[str]:
    async with db.transaction() as session:
        query = select(col(Notification.title)).where(col(Notification.kind) == kind)
        return list((await session.execute(query)).scalars())


async def test_publicity_closes_once_when_its_working_days_are_over(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opened 30 September: National Day and the 10 October 调休 put the end on 13 October.
    run_id = await _in_publicity(db, date(2026, 9, 30))
    async with db.transaction() as session:
        assert (await runs.get_run(session, run_id)).publicity_ends_on == date(2026, 10, 13)
    monkeypatch.setattr(run_workflow, "business_today", lambda now=None: date(2026, 10, 12))
    async with db.transaction() as session:
        assert await close_publicity(session, date(2026, 10, 12)) == 0
        assert (await runs.get_run(session, run_id)).status == RunStatus.PUBLICITY
    monkeypatch.setattr(run_workflow, "business_today", lambda now=None: date(2026, 10, 15))
    for _ in range(2):  # on time, then again: published once
        async with db.transaction() as session:
            await close_publicity(session, date(2026, 10, 15))
    async with db.transaction() as session:
        run = await runs.get_run(session, run_id)
    assert (run.status, run.published_by) == (RunStatus.PUBLISHED, "system")
    assert len(await _kinds(db, "evaluation.published")) == 1


def test_the_cycle_that_just_ended() -> None:
    assert cycle_just_ended("annual", date(2026, 1, 1)) == "2025"
    assert cycle_just_ended("quarterly", date(2026, 2, 10)) == "2025Q4"
    assert cycle_just_ended("quarterly", date(2026, 7, 1)) == "2026Q2"
    assert cycle_just_ended("monthly", date(2026, 1, 5)) == "2025-12"
    assert cycle_just_ended("monthly", date(2026, 10, 1)) == "2026-09"


async def test_a_scheduled_cycle_starts_once_and_waits_for_review(db: Database) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await add_record(db, subject, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    today = date(2026, 1, 2)
    for _ in range(2):
        async with db.transaction() as session:
            started = await start_due_cycles(session, today, ("hunan-2024",))
    async with db.transaction() as session:
        scheduled = list((await session.execute(select(EvaluationRun))).scalars())
    assert [(run.cycle, run.status, run.started_by) for run in scheduled] == [
        ("2025", "computed", "scheduler")
    ]
    assert started == []  # the second call found the cycle evaluated
    # Every kind the profile has an active set for, one set each.
    assert "medical_institution" in scheduled[0].scope_kinds
    assert len(scheduled[0].set_ids) == len(scheduled[0].scope_kinds)
    assert len(await _kinds(db, "evaluation.computed")) == 1


async def test_nothing_is_scheduled_unless_configured(db: Database) -> None:
    await seed(db)
    async with db.transaction() as session:
        assert await start_due_cycles(session, date(2026, 1, 2), ()) == []
        with pytest.raises(InvalidInput) as unknown:
            await start_due_cycles(session, date(2026, 1, 2), ("no-such-profile",))
    assert unknown.value.field == "profile_code"
