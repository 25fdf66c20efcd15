"""Personnel points: bands by tier, thresholds, the 1 January reset, repair cap, propagation."""

from __future__ import annotations

from datetime import date, timedelta

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.clock import business_today
from credit.subjects import practice
from credit.subjects import service as subjects
from credit.subjects.models import PracticeRole, PracticeSiteCreate, SubjectCreate
from credit.subjects.pii import PersonalIdentifiers
from indicators import points, points_status
from tests.indicators.support import OFFICER, add_record, hospital, seed

PII = PersonalIdentifiers("test-secret-key-that-is-long-enough")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(body: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2)."""
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


async def physician(db: Database, number: int, *sites: int) -> int:
    body = f"11010519800101{number:03d}"
    async with db.transaction() as session:
        person = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(
                kind="physician",
                name=f"医师{number}",
                resident_id=resident_id(body),
                qualification_status="normal",
            ),
            pii=PII,
        )
        for institution in sites:
            await practice.add_practice_site(
                session,
                SYSTEM_ACTOR,
                person.id or 0,
                PracticeSiteCreate(
                    institution_id=institution,
                    role=PracticeRole.PHYSICIAN,
                    started_on=date(2020, 1, 1),
                ),
            )
    return person.id or 0


def recent_day() -> str:
    """A day of this points year no more than two days ago (1 January early in January)."""
    today = business_today()
    return max(today - timedelta(days=2), date(today.year, 1, 1)).isoformat()


async def _event(
    db: Database, institution: int, person: int, item: str, tier: str, day: str, ref: str
) -> None:
    await add_record(
        db, institution, item, day, ref, responsible=[{"subject_id": person, "tier": tier}]
    )


async def _ledger(db: Database, person: int, year: int = 2026) -> points.PointsLedger:
    async with db.transaction() as session:
        return await points.ledger(session, person, year=year)


async def test_tiers_bands_interview_and_suspension(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    # general tier keeps the item's 3 (band 1–3); important lifts it to 4 (band 4–6).
    await _event(db, clinic, doctor, "ENF-38-SPLIT-ADMISSION", "general", "2026-02-01", "a")
    await _event(db, clinic, doctor, "ENF-38-BED-HOLDING", "important", "2026-03-01", "b")
    seven = await _ledger(db, doctor)
    assert [e["points"] for e in seven.entries] == [3, 4]
    assert (seven.total, seven.interview, seven.status) == (7, True, "normal")
    await _event(db, clinic, doctor, "ENF-38-DUPLICATE-CHARGE", "general", "2026-04-01", "c")
    nine = await _ledger(db, doctor)
    assert (nine.total, nine.suspension_months) == (9, 1)
    # Suspended for the pack's one month from 1 April: served long before today.
    assert (nine.suspended_from, nine.suspended_until) == (date(2026, 4, 1), date(2026, 4, 30))
    assert (nine.status, nine.still_paid) == ("normal", [])


async def test_termination_bar_depends_on_a_single_event(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    gradual, sudden = await physician(db, 1, clinic), await physician(db, 2, clinic)
    for index, day in enumerate(("2026-01-10", "2026-05-10")):  # principal: 7 each
        await _event(db, clinic, gradual, "ENF-38-SUBSTITUTION", "principal", day, f"g{index}")
    await _event(db, clinic, sudden, "ENF-40-FICTITIOUS-SERVICES", "general", "2026-06-01", "s")
    slow, fast = await _ledger(db, gradual), await _ledger(db, sudden)
    assert (slow.total, slow.status) == (14, "terminated")
    assert slow.reregistration_barred_until == date(2027, 5, 10)
    assert (fast.total, fast.status) == (12, "terminated")  # fraud band 10–12
    assert fast.reregistration_barred_until == date(2029, 6, 1)


async def test_points_reset_on_1_january_and_repair_is_capped(db: Database) -> None:
    await seed(db)
    clinic = await hospital(db, 1)
    doctor = await physician(db, 1, clinic)
    await _event(db, clinic, doctor, "ENF-38-SUBSTITUTION", "principal", "2025-12-31", "old")
    await _event(db, clinic, doctor, "ENF-38-SUBSTITUTION", "principal", "2026-01-01", "new")
    for index in range(6):
        await add_record(db, doctor, "POS-TRAINING", f"2026-0{index + 2}-01", f"t{index}")
    last_year, this_year = await _ledger(db, doctor, 2025), await _ledger(db, doctor)
    assert (last_year.total, last_year.repair_credits) == (7, 0)
    assert (this_year.gross, this_year.repair_credits, this_year.total) == (7, 4, 3)


async def test_status_applies_at_every_site_and_rolls_up(db: Database) -> None:
    await seed(db)
    first, second = await hospital(db, 1), await hospital(db, 2)
    doctor = await physician(db, 1, first, second)
    await physician(db, 2, first)
    for index in range(3):
        await physician(db, 10 + index, second)
    day = recent_day()  # the suspension must still be running today
    await _event(db, first, doctor, "ENF-38-SUBSTITUTION", "principal", day, "a")
    await _event(db, first, doctor, "ENF-38-DUPLICATE-CHARGE", "important", day, "b")
    async with db.transaction() as session:
        applied = await points_status.apply_status(session, OFFICER, doctor)
        person = await subjects.get_subject(session, doctor)
        at_first = await points.institution_rollup(session, first)
        at_second = await points.institution_rollup(session, second)
    assert (applied.total, person.qualification_status) == (11, "suspended")
    assert applied.suspension_months == 6
    assert {site["institution_id"]: site["qualification_status"] for site in applied.sites} == {
        first: "suspended",
        second: "suspended",
    }
    assert (at_first["share"], at_first["action"]) == ("0.5000", "agreement_action")
    assert (at_second["share"], at_second["action"]) == ("0.2500", "settlement_suspension")
