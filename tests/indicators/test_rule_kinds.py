"""Rule kinds the other tests do not reach, shipped grade bands at their edges, scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.db import Database
from credit.kernel.clock import utcnow
from credit.metrics.models import SubjectMetric
from indicators import repository, runs, sets
from indicators.runs import RunRequest
from tests.indicators.support import OFFICER, add_record, hospital, hunan_set_id, seed


@pytest.mark.parametrize(
    ("profile", "edges"),
    [
        (
            "hunan-2024",
            {
                "100": "A",
                "85": "A",
                "84.99": "B",
                "65": "B",
                "64.99": "C",
                "40": "C",
                "39.99": "D",
                "0": "D",
            },
        ),
        (
            "inner-mongolia-2025",
            {"100": "A", "90": "A", "89.99": "B", "80": "B", "79.99": "C", "65": "C", "64.99": "D"},
        ),
        (
            "guangdong-2024",
            {
                "1000": "A",
                "900": "A",
                "899.99": "B",
                "800": "B",
                "700": "C",
                "699.99": "D",
                "600": "D",
                "599.99": "E",
            },
        ),
    ],
)
async def test_shipped_grade_bands_at_their_edges(
    db: Database, profile: str, edges: dict[str, str]
) -> None:
    await seed(db)
    async with db.transaction() as session:
        active = await sets.active_set(session, profile, "physician")
        assert active is not None
        loaded = await sets.load(session, active.id or 0)
    assert {score: loaded.profile.grade_for(Decimal(score)) for score in edges} == edges


async def _metric(db: Database, subject_id: int, period: str, rate: str) -> None:
    month = int(period[-2:])
    async with db.transaction() as session:
        session.add(
            SubjectMetric(
                subject_id=subject_id,
                period=period,
                period_kind="month",
                period_start=date(2025, month, 1),
                period_end=date(2025, month, 28),
                discharges=10,
                total_cost=Decimal(1000),
                fund_payment=Decimal(800),
                average_cost=Decimal(100),
                refusal_rate=Decimal(rate),
                source_system="his",
                source_ref=f"{subject_id}-{period}",
                recorded_at=utcnow(),
            )
        )


async def test_metric_threshold_takes_the_worst_period(db: Database) -> None:
    await seed(db)
    subject, calm = await hospital(db, 1), await hospital(db, 2)
    await add_record(db, calm, "POS-TRAINING", "2025-01-05", "t")
    await _metric(db, subject, "2025-02", "0.03")
    await _metric(db, subject, "2025-03", "0.12")
    await _metric(db, calm, "2025-02", "0.05")  # at the threshold, not above it
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        run = await runs.start(session, OFFICER, RunRequest(cycle="2025", set_ids=(set_id,)))
        results = {r.subject_id: r for r in await repository.results(session, run.id or 0)}
    assert results[subject].total == Decimal("65.00")
    assert (
        results[subject].reason_codes[0]["en"] == "Refusal rate of 12.0% in 2025, above 10.0%: −5"
    )
    assert results[calm].total == Decimal("71.00")


async def test_eligibility_skips_recently_designated_institutions(db: Database) -> None:
    await seed(db)
    old = await hospital(db, 1, region="150102", designated_on=date(2020, 1, 1))
    recent = await hospital(db, 2, region="150102", designated_on=date(2025, 7, 1))
    edge = await hospital(db, 3, region="150102", designated_on=date(2025, 6, 30))
    await add_record(db, old, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    async with db.transaction() as session:
        run = await runs.start(
            session,
            OFFICER,
            RunRequest(
                cycle="2025", profile_code="inner-mongolia-2025", kinds=("medical_institution",)
            ),
        )
        results = {r.subject_id: r for r in await repository.results(session, run.id or 0)}
        counts = await repository.grade_counts(session, run.id or 0)
    assert results[old].total == Decimal("99.00")
    assert results[old].grade == "A"
    assert (results[recent].eligible, results[recent].grade) == (False, None)
    assert results[edge].eligible
    assert counts == {"A": 2, "not_evaluated": 1}


async def test_region_scope_limits_the_subjects(db: Database) -> None:
    await seed(db)
    changsha = await hospital(db, 1, region="430102")
    await hospital(db, 2, region="440103")
    await add_record(db, changsha, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        run = await runs.start(
            session, OFFICER, RunRequest(cycle="2025", set_ids=(set_id,), regions=("430000",))
        )
        results = await repository.results(session, run.id or 0)
    assert [r.subject_id for r in results] == [changsha]
    assert run.subjects_evaluated == 1
