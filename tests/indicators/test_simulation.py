"""Simulation: a draft set over a baseline run's data; matrices sum to the population."""

from __future__ import annotations

import pytest

from api.db import Database
from credit.kernel.errors import Conflict, InvalidInput
from indicators import runs, sets, simulation
from indicators.runs import RunRequest
from tests.indicators.support import OFFICER, add_record, hospital, hunan_set_id, seed


async def _baseline(db: Database) -> tuple[int, int, list[int]]:
    await seed(db)
    ids = [await hospital(db, n) for n in range(1, 6)]
    for index in range(3):  # 3 monitoring violations: −3 under the default set
        await add_record(db, ids[0], "MON-SPLIT-CHARGE", f"2025-0{index + 1}-01", f"m{index}")
    await add_record(db, ids[1], "MON-SPLIT-CHARGE", "2025-05-01", "m9")
    await add_record(db, ids[2], "POS-COMMENDATION", "2025-05-01", "c1")
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        run = await runs.start(session, OFFICER, RunRequest(cycle="2025", set_ids=(set_id,)))
    return run.id or 0, set_id, ids


async def _stricter_draft(db: Database, set_id: int, points: int) -> int:
    async with db.transaction() as session:
        document = (await sets.get_set(session, set_id)).document
        rule = document["dimensions"][1]["indicators"][1]["rule"]
        assert rule["categories"] == ["monitoring"]
        rule["points"], rule["cap"] = points, 20
        draft = await sets.create_draft(
            session,
            OFFICER,
            profile_code="hunan-2024",
            subject_kind="medical_institution",
            title=f"monitoring ×{points}",
            document=document,
        )
    return draft.id or 0


async def test_matrix_distribution_and_changed_subjects(db: Database) -> None:
    run_id, set_id, ids = await _baseline(db)
    draft_id = await _stricter_draft(db, set_id, 5)
    async with db.transaction() as session:
        saved = await simulation.simulate(
            session, OFFICER, name="monitoring ×5", baseline_run_id=run_id, set_id=draft_id
        )
    assert saved.population == 5
    assert sum(sum(row.values()) for row in saved.transition_matrix.values()) == 5
    # 70 − 15 = 55 (C) for the first; 70 − 5 = 65 stays B; 80 is B either way.
    assert saved.transition_matrix == {"B": {"C": 1, "B": 4}}
    assert saved.changed_count == 1
    (changed,) = saved.changed
    assert changed["subject_id"] == ids[0]
    assert changed["factors"] == [
        {"indicator": "monitoring_violations", "baseline": "-3", "simulated": "-15"}
    ]
    assert saved.baseline_distribution["mean"] == "71.20"  # (67 + 69 + 80 + 70 + 70) / 5
    assert saved.simulated_distribution["quartiles"] == ["65.00", "70.00", "70.00"]
    assert sum(b["count"] for b in saved.simulated_distribution["histogram"]) == 5


async def test_simulations_are_named_once_and_comparable(db: Database) -> None:
    run_id, set_id, _ = await _baseline(db)
    mild, harsh = await _stricter_draft(db, set_id, 1), await _stricter_draft(db, set_id, 5)
    async with db.transaction() as session:
        first = await simulation.simulate(
            session, OFFICER, name="mild", baseline_run_id=run_id, set_id=mild
        )
        second = await simulation.simulate(
            session, OFFICER, name="harsh", baseline_run_id=run_id, set_id=harsh
        )
        with pytest.raises(Conflict):
            await simulation.simulate(
                session, OFFICER, name="mild", baseline_run_id=run_id, set_id=harsh
            )
        compared = await simulation.compare(session, first.id or 0, second.id or 0)
    assert compared["mean_difference"] == "-3.20"
    assert [side["changed_count"] for side in compared["simulations"]] == [0, 1]


async def test_a_kind_outside_the_baseline_is_refused(db: Database) -> None:
    run_id, _, _ = await _baseline(db)
    async with db.transaction() as session:
        pharmacy = await sets.active_set(session, "hunan-2024", "retail_pharmacy")
        assert pharmacy is not None
        with pytest.raises(InvalidInput) as caught:
            await simulation.simulate(
                session, OFFICER, name="x", baseline_run_id=run_id, set_id=pharmacy.id or 0
            )
    assert caught.value.rule == "kind_in_baseline"
