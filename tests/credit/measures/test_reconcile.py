"""Assignments start and end with each trigger kind, within subject kinds, logged for partners."""

from __future__ import annotations

from datetime import date

from api.db import Database
from credit.measures.standing import Standing
from credit.policy.vocabulary import ListName
from tests.credit.measures.support import assignments, changes, person, reconcile
from tests.indicators.support import hospital, seed

DAY = date(2026, 3, 2)
GRADE_D = {"DIS-INTERVIEW-RECTIFY", "DIS-KEY-SUPERVISION", "DIS-DEPOSIT-ADVANCE"}
BLACK_INSTITUTION = {
    "DIS-KEY-SUPERVISION",
    "DIS-DEPOSIT-ADVANCE",
    "DIS-SUSPEND-SETTLEMENT",
    "DIS-NO-COMMITMENT-ACCEPTANCE",
    "DIS-TERMINATE-AGREEMENT",
}


async def test_a_published_grade_starts_measures_and_a_better_one_ends_them(db: Database) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    kind = "medical_institution"
    report = await reconcile(
        db, Standing(subject, kind, grade="D", grade_cycle="2025", grade_run_id=4), today=DAY
    )
    assert (report.subjects, report.started, report.ended) == (1, 3, 0)
    found = await assignments(db, subject)
    assert set(found) == GRADE_D
    supervision = found["DIS-KEY-SUPERVISION"]
    assert (supervision.trigger, supervision.status, supervision.starts_on) == (
        "grade:D@2025",
        "active",
        DAY,
    )
    assert supervision.agency == "medical_security_admin"
    assert found["DIS-DEPOSIT-ADVANCE"].agency == "medical_insurance_agency"

    again = await reconcile(db, Standing(subject, kind, grade="D", grade_cycle="2025"), today=DAY)
    assert (again.started, again.changed, again.ended) == (0, 0, 0)  # nothing twice

    await reconcile(db, Standing(subject, kind, grade="B", grade_cycle="2026"), today=DAY)
    ended = await assignments(db, subject)
    assert {
        code: (a.status, a.end_reason, a.ends_on) for code, a in ended.items()
    } == dict.fromkeys(GRADE_D, ("ended", "trigger_ended", DAY))
    log = await changes(db, subject)
    assert [(op, code in GRADE_D) for op, code, _, _ in log] == [("ADD", True)] * 3 + [
        ("DEL", True)
    ] * 3
    agencies = {code: agency for _, code, agency, _ in log}
    assert agencies["DIS-DEPOSIT-ADVANCE"] == "medical_insurance_agency"
    assert log[-1][3]["status"] == "ended"
    assert log[-1][3]["end_reason"] == "trigger_ended"
    assert log[0][3]["measure_zh"]
    assert log[0][3]["subject_id"] == subject


async def test_a_list_entry_in_force_applies_the_lists_measures(db: Database) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    standing = Standing(subject, "medical_institution", lists={ListName.BLACK: 12})
    await reconcile(db, standing, today=DAY)
    found = await assignments(db, subject)
    assert set(found) == BLACK_INSTITUTION
    assert {a.trigger for a in found.values()} == {"list:black#entry 12"}
    # A measure with a duration plans its end; one without lasts while the listing does.
    assert found["DIS-SUSPEND-SETTLEMENT"].ends_on == date(2026, 9, 2)
    assert found["DIS-TERMINATE-AGREEMENT"].ends_on is None

    red = Standing(subject, "medical_institution", lists={ListName.RED: None})
    await reconcile(db, red, today=DAY)
    now = {code: a for code, a in (await assignments(db, subject)).items() if a.status == "active"}
    assert set(now) == {
        "INC-FEWER-INSPECTIONS",
        "INC-GREEN-CHANNEL",
        "INC-FAULT-TOLERANT",
        "INC-PUBLIC-COMMENDATION",
    }
    assert now["INC-GREEN-CHANNEL"].trigger == "list:red"


async def test_points_over_the_threshold_start_and_follow_the_total(db: Database) -> None:
    await seed(db)
    doctor = await person(db, "physician", 1)
    await reconcile(db, Standing(doctor, "physician", points=5, points_year=2026), today=DAY)
    assert await assignments(db, doctor) == {}
    await reconcile(db, Standing(doctor, "physician", points=7, points_year=2026), today=DAY)
    ((code, started),) = (await assignments(db, doctor)).items()
    assert (code, started.trigger) == ("DIS-STAFF-POINTS-INTERVIEW", "points:7@2026")
    changed = await reconcile(
        db, Standing(doctor, "physician", points=8, points_year=2026), today=DAY
    )
    assert (changed.started, changed.changed) == (0, 1)
    assert (await assignments(db, doctor))[code].trigger == "points:8@2026"
    await reconcile(db, Standing(doctor, "physician", points=0, points_year=2027), today=DAY)
    assert (await assignments(db, doctor))[code].end_reason == "trigger_ended"
    assert [op for op, *_ in await changes(db, doctor)] == ["ADD", "MOD", "DEL"]


async def test_a_qualification_status_applies_to_the_person(db: Database) -> None:
    await seed(db)
    doctor = await person(db, "physician", 1)
    await reconcile(db, Standing(doctor, "physician", qualification_status="suspended"), today=DAY)
    found = await assignments(db, doctor)
    assert {code: a.trigger for code, a in found.items()} == {
        "DIS-STAFF-QUALIFICATION": "qualification:suspended"
    }
    await reconcile(db, Standing(doctor, "physician", qualification_status="normal"), today=DAY)
    assert (await assignments(db, doctor))["DIS-STAFF-QUALIFICATION"].status == "ended"


async def test_no_measure_outside_its_subject_kinds(db: Database) -> None:
    await seed(db)
    insured = await person(db, "insured_person", 2)
    standing = Standing(
        insured, "insured_person", grade="A", grade_cycle="2025", lists={ListName.BLACK: 3}
    )
    await reconcile(db, standing, today=DAY)
    codes = set(await assignments(db, insured))
    assert "DIS-INSURED-DIRECT-SETTLEMENT" in codes
    assert "INC-CREDIT-CARE" in codes
    # Institution-only measures never reach a person, whatever the person's standing.
    assert not codes & {"DIS-SUSPEND-SETTLEMENT", "INC-ASSESSMENT-PREFERENCE"}
