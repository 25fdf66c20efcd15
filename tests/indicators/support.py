"""Set-up shared by the evaluation tests: packs, default sets, institutions and records."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from stdnum.cn import uscc

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR, Actor, Role
from credit.kernel.clock import business_today
from credit.policy import service as policy
from credit.records import service as records
from credit.subjects import service as subjects
from credit.subjects.models import SubjectCreate
from indicators import run_workflow, runs, sets
from indicators.models import RunStatus

OFFICER = Actor(role=Role.OFFICER, name="officer-li")
REVIEWER = Actor(role=Role.REVIEWER, name="reviewer-wang")


async def seed(db: Database) -> None:
    """Default policy packs and default indicator sets, activated."""
    async with db.transaction() as session:
        await policy.ensure_defaults(session)
        await sets.ensure_default_sets(session)


async def hospital(
    db: Database, number: int, *, region: str = "430102", designated_on: date | None = None
) -> int:
    """A medical institution with a valid, distinct USCC."""
    body = f"9143010{number:010d}"
    async with db.transaction() as session:
        subject = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(
                kind="medical_institution",
                name=f"测试医院{number}",
                uscc=body + uscc.calc_check_digit(body),
                region_code=region,
                designated_on=designated_on,
            ),
        )
    assert subject.id is not None
    return subject.id


async def add_record(
    db: Database, subject_id: int, item_code: str, decided_on: str, ref: str, **extra: Any
) -> int:
    payload = {
        "subject_id": subject_id,
        "item_code": item_code,
        "decided_on": decided_on,
        "source_system": "test",
        "source_ref": ref,
        **({"rule_code": "R-001"} if item_code.startswith("MON-") else {}),
        **extra,
    }
    async with db.transaction() as session:
        submitted = await records.submit(session, OFFICER, payload)
    return submitted.record_id


async def publish(db: Database, run_id: int, *, opened_days_ago: int = 30) -> None:
    """Review, publicity opened `opened_days_ago` days back (so it is over), publication.

    Publicity lasts working days; opening it in the past keeps the clock honest in tests.
    """
    async with db.transaction() as session:
        run = await runs.get_run(session, run_id)
        if run.status == RunStatus.COMPUTED:
            await runs.advance(session, OFFICER, run_id, RunStatus.IN_REVIEW)
        opened_on = business_today() - timedelta(days=opened_days_ago)
        await run_workflow.transition(
            session, REVIEWER, run, RunStatus.PUBLICITY, opened_on=opened_on
        )
        await runs.advance(session, REVIEWER, run_id, RunStatus.PUBLISHED)


def publicity_is_over(monkeypatch: pytest.MonkeyPatch, ends_on: str) -> None:
    """From here on the run workflow sees the day publicity ends as today."""
    day = date.fromisoformat(ends_on)
    monkeypatch.setattr(run_workflow, "business_today", lambda now=None: day)


async def hunan_set_id(db: Database, kind: str = "medical_institution") -> int:
    async with db.transaction() as session:
        active = await sets.active_set(session, "hunan-2024", kind)
    assert active is not None
    assert active.id is not None
    return active.id
