"""Evaluation runs: scores, grades, contributions, reasons, bad input and the lifecycle."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.db import Database
from credit.kernel.errors import Forbidden, InvalidInput
from indicators import repository, runs
from indicators.models import RunStatus
from indicators.runs import RunRequest
from tests.indicators.support import (
    OFFICER,
    REVIEWER,
    add_record,
    hospital,
    hunan_set_id,
    publish,
    seed,
)


async def _run(db: Database, cycle: str = "2025", **kwargs: object) -> int:
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        run = await runs.start(
            session, OFFICER, RunRequest(cycle=cycle, set_ids=(set_id,), **kwargs)
        )  # type: ignore[arg-type]
    assert run.id is not None
    return run.id


async def _result(db: Database, run_id: int, subject_id: int):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        (result,) = await repository.results(session, run_id, subject_id=subject_id)
    return result


async def test_clean_hospital_scores_the_base_and_violations_cost_points(db: Database) -> None:
    await seed(db)
    clean = await hospital(db, 1)
    fined = await hospital(db, 2)
    for n in range(3):
        await add_record(db, fined, "MON-SPLIT-CHARGE", f"2025-0{n + 1}-10", f"m{n}")
    await add_record(
        db, fined, "ENF-38-SPLIT-ADMISSION", "2025-05-01", "e1", amount_involved="150000"
    )
    await add_record(db, fined, "POS-TRAINING", "2025-06-01", "p1")
    await add_record(db, fined, "MON-SPLIT-CHARGE", "2024-12-31", "outside-cycle")
    run_id = await _run(db)

    base = await _result(db, run_id, clean)
    assert (base.total, base.grade, base.reason_codes) == (Decimal("70.00"), "B", [])
    result = await _result(db, run_id, fined)
    # 70 − 3 (monitoring) − 5 (violation) − 5 (fund loss ≥ ¥100,000) + 1 (training) = 58
    assert result.total == Decimal("58.00")
    assert result.grade == "C"
    assert result.dimension_scores == {
        "enforcement": "-5",
        "agreement_monitoring": "-3",
        "supervision": "-5",
        "good_conduct": "1",
    }
    by_indicator = {c["indicator"]: c for c in result.contributions}
    assert by_indicator["monitoring_violations"]["count"] == 3
    assert len(by_indicator["monitoring_violations"]["record_ids"]) == 3
    assert [r["code"] for r in result.reason_codes] == [
        "fund_loss",
        "general_violations",
        "monitoring_violations",
    ]
    monitoring = result.reason_codes[2]
    assert monitoring["en"] == "3 confirmed monitoring violations of rule R-001 in 2025: −3"
    assert monitoring["zh"] == "2025年度智能监控确认违规3条（监控规则R-001）：扣3分"
    assert result.reason_codes[0]["en"] == "Fund loss involved totalling ¥150000 in 2025: −5"


async def test_only_four_reasons_and_caps_hold(db: Database) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    items = [
        "ENF-40-OTHER-FRAUD",
        "ENF-38-SPLIT-ADMISSION",
        "ENF-39-RECORD-KEEPING",
        "AGR-RECTIFY",
        "MON-SPLIT-CHARGE",
        "INSP-FLIGHT-FINDING",
    ]
    for index, item in enumerate(items * 3):
        await add_record(db, subject, item, "2025-04-01", f"r{index}")
    run_id = await _run(db)
    result = await _result(db, run_id, subject)
    assert len(result.reason_codes) == 4
    assert result.reason_codes[0]["code"] == "serious_violations"
    assert result.dimension_scores["enforcement"] == "-40"  # capped at the dimension's weight
    # agreement 3×3 + monitoring 3×1; inspections 3×3 reach their cap of 9
    assert result.total == Decimal("70") - 40 - 12 - 9
    assert result.grade == "D"


async def test_veto_forces_the_lowest_grade(db: Database) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await add_record(db, subject, "POS-COMMENDATION", "2025-02-01", "c1")
    await add_record(db, subject, "CRM-REFERRAL", "2025-03-01", "crime")
    run_id = await _run(db)
    result = await _result(db, run_id, subject)
    assert (result.grade, result.vetoed_by) == ("D", "criminal_veto")
    assert result.reason_codes[0]["en"].endswith("grade set to D")


async def test_revoked_and_repaired_records_do_not_count(db: Database) -> None:
    from credit.records import service as records

    await seed(db)
    subject = await hospital(db, 1)
    revoked = await add_record(db, subject, "ENF-38-SPLIT-ADMISSION", "2025-03-01", "x1")
    async with db.transaction() as session:
        await records.revoke(session, REVIEWER, revoked, reason="objection upheld")
    result = await _result(db, await _run(db), subject)
    assert result.total == Decimal("70.00")


@pytest.mark.parametrize(
    ("cycle", "rule"),
    [("2999", "cycle_not_future"), ("2025Q5", "cycle_format"), ("25", "cycle_format")],
)
async def test_bad_cycles_are_refused_and_nothing_runs(db: Database, cycle: str, rule: str) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await add_record(db, subject, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    with pytest.raises(InvalidInput) as caught:
        await _run(db, cycle)
    assert caught.value.rule == rule
    async with db.transaction() as session:
        assert await repository.runs(session) == []


async def test_as_of_before_any_data_is_refused(db: Database) -> None:
    from datetime import UTC, datetime

    await seed(db)
    subject = await hospital(db, 1)
    with pytest.raises(InvalidInput) as empty:
        await _run(db)
    assert empty.value.rule == "as_of_after_data"
    await add_record(db, subject, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    with pytest.raises(InvalidInput) as early:
        await _run(db, as_of=datetime(2025, 6, 1, tzinfo=UTC))
    assert early.value.rule == "as_of_after_data"


async def test_lifecycle_needs_a_second_reviewer_and_supersedes(db: Database) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await add_record(db, subject, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    first = await _run(db)
    async with db.transaction() as session:
        await runs.advance(session, OFFICER, first, RunStatus.IN_REVIEW)
    with pytest.raises(Forbidden) as own:
        async with db.transaction() as session:
            await runs.advance(session, OFFICER, first, RunStatus.PUBLICITY)
    assert own.value.rule == "four_eyes"
    await publish(db, first)
    second = await _run(db)
    await publish(db, second)
    async with db.transaction() as session:
        older = await runs.get_run(session, first)
        events = await repository.run_events(session, first)
    assert older.status == RunStatus.SUPERSEDED
    assert [e.to_status for e in events] == [
        "computed",
        "in_review",
        "publicity",
        "published",
        "superseded",
    ]
