"""Points apply themselves: a record naming a person updates the year's total and the status."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.db import Database
from credit.records import service as records
from credit.subjects import service as subjects
from indicators import points
from indicators.points_status import PersonnelPointsYear
from tests.indicators.support import OFFICER, REVIEWER, hospital, seed
from tests.indicators.test_points import _event, physician, recent_day


async def _state(db: Database, person: int) -> tuple[str | None, PersonnelPointsYear | None]:
    async with db.transaction() as session:
        status = (await subjects.get_subject(session, person)).qualification_status
        query = select(PersonnelPointsYear).where(PersonnelPointsYear.person_id == person)
        stored = (await session.execute(query)).scalar()
    return status, stored


async def test_six_points_mean_an_interview_and_the_focus_list(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    await _event(db, clinic, doctor, "ENF-38-BED-HOLDING", "important", recent_day(), "a")
    await _event(db, clinic, doctor, "ENF-38-SPLIT-ADMISSION", "general", recent_day(), "b")
    status, stored = await _state(db, doctor)
    assert stored is not None
    assert (stored.total, stored.interview, stored.focus, status) == (7, True, True, "normal")


async def test_nine_points_suspend_at_once_and_a_revocation_lifts_it(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    day = recent_day()
    await _event(db, clinic, doctor, "ENF-38-SUBSTITUTION", "principal", day, "a")
    assert (await _state(db, doctor))[0] == "normal"  # 7 points: below suspension
    await _event(db, clinic, doctor, "ENF-38-SPLIT-ADMISSION", "general", day, "b")
    status, stored = await _state(db, doctor)
    assert stored is not None
    assert (status, stored.total, stored.suspension_months) == ("suspended", 10, 3)
    assert stored.still_paid == ["急诊", "抢救"]  # from the pack: emergency and rescue care
    async with db.transaction() as session:
        ledger = await points.ledger(session, doctor)
        record_id = ledger.entries[-1]["record_id"]
        await records.revoke(session, REVIEWER, record_id, reason="decision overturned")
    status, stored = await _state(db, doctor)
    assert stored is not None
    assert (status, stored.total, stored.still_paid) == ("normal", 7, [])


async def test_twelve_points_terminate_for_good(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    await _event(db, clinic, doctor, "ENF-40-FICTITIOUS-SERVICES", "general", recent_day(), "f")
    status, stored = await _state(db, doctor)
    assert stored is not None
    assert (status, stored.total, stored.still_paid) == ("terminated", 12, ["急诊", "抢救"])
    async with db.transaction() as session:
        ledger = await points.ledger(session, doctor)
        await records.revoke(session, REVIEWER, ledger.entries[0]["record_id"], reason="overturned")
    status, stored = await _state(db, doctor)
    assert stored is not None
    # The points are gone, but a terminated qualification is final (a new registration).
    assert (status, stored.total) == ("terminated", 0)


async def test_a_failed_change_leaves_the_status_alone(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    payload = {
        "subject_id": clinic,
        "item_code": "ENF-40-FICTITIOUS-SERVICES",
        "decided_on": recent_day(),
        "source_system": "test",
        "source_ref": "rolled-back",
        "responsible": [{"subject_id": doctor, "tier": "general"}],
    }
    inside: list[str | None] = []

    async def fail_after_the_record() -> None:
        async with db.transaction() as session:
            await records.submit(session, OFFICER, payload)
            inside.append((await subjects.get_subject(session, doctor)).qualification_status)
            raise RuntimeError("the request failed after the record was stored")

    with pytest.raises(RuntimeError):
        await fail_after_the_record()
    assert inside == ["terminated"]
    assert await _state(db, doctor) == ("normal", None)
