"""Standings drive measures and list candidates: on publication, on points and status changes,
and on list entries in force."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from api.db import Database
from credit.kernel.clock import business_today
from credit.lists.models import ListEntry
from credit.measures.standing import Standing
from credit.policy import regime
from credit.policy.vocabulary import ListName
from indicators import runs, standing
from indicators.runs import RunRequest
from tests.credit.measures.support import assignments
from tests.indicators.support import OFFICER, add_record, hospital, hunan_set_id, publish, seed
from tests.indicators.test_points import physician


def recent_day() -> str:
    today = business_today()
    return max(today - timedelta(days=2), date(today.year, 1, 1)).isoformat()


async def _published_run(db: Database, cycle: str) -> int:
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        run = await runs.start(session, OFFICER, RunRequest(cycle=cycle, set_ids=(set_id,)))
    await publish(db, run.id or 0)
    return run.id or 0


async def _candidates(db: Database, subject_id: int) -> dict[str, str]:
    async with db.transaction() as session:
        query = select(ListEntry).where(ListEntry.subject_id == subject_id)  # type: ignore[arg-type]
        entries = (await session.execute(query)).scalars().all()
    return {entry.list_name: entry.criterion_code for entry in entries if entry.automatic}


async def test_publication_assigns_grade_measures_and_proposes_focus(db: Database) -> None:
    await seed(db)
    clean = await hospital(db, 1)
    fined = await hospital(db, 2)
    for n in range(3):
        await add_record(db, fined, "MON-SPLIT-CHARGE", f"2025-0{n + 1}-10", f"m{n}")
    await add_record(
        db, fined, "ENF-38-SPLIT-ADMISSION", "2025-05-01", "e1", amount_involved="150000"
    )
    assert await assignments(db, fined) == {}  # no grade is published yet

    await _published_run(db, "2025")  # fined: C, clean: B
    found = await assignments(db, fined)
    assert {code: a.trigger for code, a in found.items()} == {
        "DIS-INTERVIEW-RECTIFY": "grade:C@2025"
    }
    assert await assignments(db, clean) == {}
    assert await _candidates(db, fined) == {"focus": "FOC-GRADE"}
    assert await _candidates(db, clean) == {}


async def test_points_and_qualification_follow_the_records(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    day, year = recent_day(), business_today().year
    responsible = {"responsible": [{"subject_id": doctor, "tier": "principal"}]}
    await add_record(db, clinic, "ENF-38-SUBSTITUTION", day, "a", **responsible)  # 7 points
    found = await assignments(db, doctor)
    assert {code: a.trigger for code, a in found.items()} == {
        "DIS-STAFF-POINTS-INTERVIEW": f"points:7@{year}"
    }
    assert await _candidates(db, doctor) == {"focus": "FOC-POINTS"}

    important = {"responsible": [{"subject_id": doctor, "tier": "important"}]}
    await add_record(db, clinic, "ENF-38-DUPLICATE-CHARGE", day, "b", **important)  # 11: suspended
    found = await assignments(db, doctor)
    assert found["DIS-STAFF-QUALIFICATION"].trigger == "qualification:suspended"
    assert found["DIS-STAFF-POINTS-INTERVIEW"].trigger == f"points:11@{year}"


async def test_termination_proposes_the_blacklist(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    fraud = {"responsible": [{"subject_id": doctor, "tier": "general"}]}
    await add_record(db, clinic, "ENF-40-FICTITIOUS-SERVICES", recent_day(), "f", **fraud)
    found = await assignments(db, doctor)
    assert found["DIS-STAFF-QUALIFICATION"].trigger == "qualification:terminated"
    candidates = await _candidates(db, doctor)
    assert candidates["black"] == "BLK-QUALIFICATION-TERMINATED"


async def test_a_list_in_force_starts_and_its_end_ends_measures(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    listed: dict[int, set[ListName]] = {subject: {ListName.BLACK}}

    async def in_force(
        session: object, subject_ids: object, at: object
    ) -> dict[int, set[ListName]]:
        return listed

    monkeypatch.setattr(standing.lists, "in_force", in_force)
    async with db.transaction() as session:
        await standing.refresh(session, [subject])
    found = await assignments(db, subject)
    assert found["DIS-TERMINATE-AGREEMENT"].trigger == "list:black"
    listed.clear()
    async with db.transaction() as session:
        report = await standing.refresh(session, [subject])
    assert report.ended == 5
    assert {a.status for a in (await assignments(db, subject)).values()} == {"ended"}


async def test_red_needs_grade_a_in_consecutive_cycles(db: Database) -> None:
    await seed(db)
    async with db.transaction() as session:
        pack = (await regime.national_rules(session)).pack
    (red,) = pack.lists.red.criteria
    someone = Standing(1, "medical_institution", grade="A", grade_cycle="2025")
    twice: list[tuple[str, str | None]] = [("2025", "A"), ("2024", "A")]
    assert standing.criterion_reason(red, someone, twice) is not None
    assert standing.criterion_reason(red, someone, [twice[0], ("2024", "B")]) is None
    assert standing.criterion_reason(red, someone, twice[:1]) is None


async def test_red_candidates_need_a_clean_window(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db)
    spotless, blemished = await hospital(db, 1), await hospital(db, 2)
    await add_record(db, blemished, "MON-SPLIT-CHARGE", recent_day(), "m1")

    async def grade_a_twice(session: object, subject_ids: list[int]) -> dict[int, list[object]]:
        return {subject: [("2025", "A", 2), ("2024", "A", 1)] for subject in subject_ids}

    monkeypatch.setattr(standing, "_published_grades", grade_a_twice)
    async with db.transaction() as session:
        await standing.refresh(session, [spotless, blemished])
    assert await _candidates(db, spotless) == {"red": "RED-GRADE-A"}
    assert "red" not in await _candidates(db, blemished)
    incentives = await assignments(db, spotless)
    assert incentives["INC-ASSESSMENT-PREFERENCE"].trigger == "grade:A@2025"
