"""Publicity (公示) lasts the profile's working days; publishing earlier is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from api.db import Database
from credit.calendar import service as calendar
from credit.kernel.clock import business_today
from credit.kernel.errors import Conflict, InvalidInput
from indicators import run_workflow, runs
from indicators.models import RunStatus
from tests.indicators.support import OFFICER, REVIEWER, add_record, hospital, seed
from tests.indicators.test_runs import _run


async def _in_review(db: Database) -> int:
    await seed(db)
    subject = await hospital(db, 1)
    await add_record(db, subject, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    run_id = await _run(db)
    async with db.transaction() as session:
        await runs.advance(session, OFFICER, run_id, RunStatus.IN_REVIEW)
    return run_id


async def test_publicity_ends_after_the_packs_working_days(db: Database) -> None:
    run_id = await _in_review(db)
    async with db.transaction() as session:
        run = await runs.advance(session, REVIEWER, run_id, RunStatus.PUBLICITY)
        expected = await calendar.add_working_days(session, business_today(), 5)
    assert run.publicity_opened_on == business_today()
    assert (run.publicity_ends_on, run.publicity_end_exact) == (expected.date, expected.exact)
    with pytest.raises(Conflict) as early:  # at least one working day lies ahead
        async with db.transaction() as session:
            await runs.advance(session, REVIEWER, run_id, RunStatus.PUBLISHED)
    assert (early.value.field, early.value.rule) == ("publicity_ends_on", "publicity_open")
    assert expected.date.isoformat() in early.value.message


async def test_national_day_lengthens_publicity(db: Database) -> None:
    run_id = await _in_review(db)
    async with db.transaction() as session:
        run = await runs.get_run(session, run_id)
        await run_workflow.transition(
            session, REVIEWER, run, RunStatus.PUBLICITY, opened_on=date(2026, 9, 30)
        )
    # 1–7 October off, Saturday 10 October worked (调休): five working days end on the 13th.
    assert (run.publicity_ends_on, run.publicity_end_exact) == (date(2026, 10, 13), True)


async def test_publicity_past_the_known_calendar_is_inexact(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = await _in_review(db)
    far = date(2990, 3, 1)
    monkeypatch.setattr(run_workflow, "business_today", lambda now=None: far)
    async with db.transaction() as session:
        run = await runs.advance(session, REVIEWER, run_id, RunStatus.PUBLICITY)
    assert run.publicity_end_exact is False
    assert run.publicity_ends_on is not None
    assert run.publicity_ends_on > far


async def test_publicity_cannot_open_in_the_future(db: Database) -> None:
    run_id = await _in_review(db)
    async with db.transaction() as session:
        run = await runs.get_run(session, run_id)
        with pytest.raises(InvalidInput) as refused:
            await run_workflow.transition(
                session,
                REVIEWER,
                run,
                RunStatus.PUBLICITY,
                opened_on=business_today() + timedelta(days=1),
            )
    assert (refused.value.field, refused.value.rule) == ("opened_on", "not_future")
