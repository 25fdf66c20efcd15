"""Durations end by sweep and are not restarted on the same occasion; the catalog is closed;
reconcile costs the same few statements for 2 subjects as for 200."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from stdnum.cn import uscc

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import InvalidInput
from credit.measures import catalog, service
from credit.measures.standing import Standing
from credit.policy.vocabulary import ListName
from credit.subjects import service as subjects
from credit.subjects.models import SubjectCreate
from tests.credit.measures.support import assignments, changes, reconcile
from tests.indicators.support import hospital, seed

LISTED_ON = date(2026, 1, 15)


async def test_a_duration_ends_by_sweep_and_is_not_restarted_for_the_same_entry(
    db: Database,
) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    listed = Standing(subject, "medical_institution", lists={ListName.BLACK: 7})
    await reconcile(db, listed, today=LISTED_ON)
    suspension = (await assignments(db, subject))["DIS-SUSPEND-SETTLEMENT"]
    assert suspension.ends_on == date(2026, 7, 15)

    async with db.transaction() as session:
        assert await service.sweep_measures(session, date(2026, 7, 14)) == 0
    async with db.transaction() as session:
        assert await service.sweep_measures(session, date(2026, 7, 15)) == 1
    async with db.transaction() as session:
        assert await service.sweep_measures(session, date(2026, 7, 15)) == 0  # idempotent
    ended = (await assignments(db, subject))["DIS-SUSPEND-SETTLEMENT"]
    assert (ended.status, ended.end_reason, ended.ends_on) == (
        "ended",
        "duration_elapsed",
        date(2026, 7, 15),
    )
    assert (await assignments(db, subject))["DIS-TERMINATE-AGREEMENT"].status == "active"
    log = [(op, code) for op, code, *_ in await changes(db, subject)]
    assert log[-1] == ("DEL", "DIS-SUSPEND-SETTLEMENT")

    # Still listed under the same entry: the suspension served its time.
    again = await reconcile(db, listed, today=date(2026, 8, 1))
    assert again.started == 0
    # A new listing is a new occasion.
    relisted = Standing(subject, "medical_institution", lists={ListName.BLACK: 9})
    await reconcile(db, relisted, today=date(2026, 8, 1))
    restarted = (await assignments(db, subject))["DIS-SUSPEND-SETTLEMENT"]
    assert (restarted.status, restarted.trigger) == ("active", "list:black#entry 9")


async def test_only_catalog_measures_are_named(db: Database) -> None:
    await seed(db)
    async with db.transaction() as session:
        found = await catalog.in_force(session)
    assert found.require("DIS-SUSPEND-SETTLEMENT").agency.code == "medical_insurance_agency"
    with pytest.raises(InvalidInput) as refused:
        found.require("DIS-PUBLIC-SHAMING")
    assert (refused.value.status_code, refused.value.field, refused.value.rule) == (
        422,
        "measure_code",
        "known_measure",
    )


async def _hospitals(db: Database, count: int, first: int) -> list[int]:
    ids = []
    async with db.transaction() as session:
        for number in range(first, first + count):
            body = f"9143010{number:010d}"
            subject = await subjects.register(
                session,
                SYSTEM_ACTOR,
                SubjectCreate(
                    kind="medical_institution",
                    name=f"测试医院{number}",
                    uscc=body + uscc.calc_check_digit(body),
                    region_code="430102",
                ),
            )
            ids.append(subject.id or 0)
    return ids


async def _statements(db: Database, standings: list[Standing], *, started: int) -> int:
    counted = {"n": 0}

    def count(*_: Any) -> None:
        counted["n"] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        report = await reconcile(db, *standings, today=LISTED_ON)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert report.started == started
    return counted["n"]


async def test_reconcile_is_set_based(db: Database) -> None:
    await seed(db)
    few = await _hospitals(db, 2, 1)
    many = await _hospitals(db, 200, 100)

    def grade_d(subject_id: int) -> Standing:
        return Standing(subject_id, "medical_institution", grade="D", grade_cycle="2025")

    def grade_b(subject_id: int) -> Standing:
        return Standing(subject_id, "medical_institution", grade="B", grade_cycle="2026")

    small = await _statements(db, [grade_d(subject) for subject in few], started=6)
    large = await _statements(db, [grade_d(subject) for subject in many], started=600)
    assert large == small
    # Ending them costs the same few statements too.
    small = await _statements(db, [grade_b(subject) for subject in few], started=0)
    large = await _statements(db, [grade_b(subject) for subject in many], started=0)
    assert large == small
