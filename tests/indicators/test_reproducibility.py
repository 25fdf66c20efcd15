"""The same as_of, scope and set versions give identical results whatever happened since."""

from __future__ import annotations

import json
from typing import Any

from api.db import Database
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.policy import regime
from credit.policy import service as policy
from credit.records import service as records
from indicators import repository, runs, sets
from indicators.runs import RunRequest
from tests.indicators.support import OFFICER, REVIEWER, add_record, hospital, hunan_set_id, seed


async def _snapshot(db: Database, run_id: int) -> list[tuple[Any, ...]]:
    async with db.transaction() as session:
        rows = await repository.results(session, run_id, limit=500)
    return [
        (
            row.subject_id,
            row.total,
            row.grade,
            json.dumps(row.dimension_scores, sort_keys=True),
            json.dumps(row.contributions, sort_keys=True),
            json.dumps(row.reason_codes, sort_keys=True, ensure_ascii=False),
        )
        for row in rows
    ]


async def test_later_records_corrections_and_pack_activations_change_nothing(
    db: Database,
) -> None:
    await seed(db)
    first, second = await hospital(db, 1), await hospital(db, 2)
    corrected = await add_record(db, first, "ENF-38-SPLIT-ADMISSION", "2025-03-01", "a")
    revoked = await add_record(db, second, "ENF-40-OTHER-FRAUD", "2025-04-01", "b")
    await add_record(db, second, "MON-SPLIT-CHARGE", "2025-05-01", "c")
    as_of = utcnow()
    set_id = await hunan_set_id(db)
    request = RunRequest(cycle="2025", as_of=as_of, set_ids=(set_id,))
    async with db.transaction() as session:
        before = await runs.start(session, OFFICER, request)

    await add_record(db, first, "CRM-REFERRAL", "2025-06-01", "d")
    async with db.transaction() as session:
        await records.correct(
            session, REVIEWER, corrected, {"item_code": "ENF-40-OTHER-FRAUD"}, "wrong item"
        )
        await records.revoke(session, REVIEWER, revoked, reason="objection upheld")
        # A new Hunan profile version with other bands, in force from today, and a new set.
        current = await regime.profile_rules(session, "hunan-2024")
        draft = await policy.copy_version(
            session,
            Actor(role=Role.ADMIN, name="admin-a"),
            current.version.id or 0,
            effective_from=business_today(),
        )
        document = json.loads(draft.document)
        document["grade_bands"][0]["min"] = 95
        document["grade_bands"][1]["max"] = 95
        await policy.update_draft(
            session, Actor(role=Role.ADMIN, name="admin-a"), draft.id or 0, document=document
        )
        await policy.submit(session, Actor(role=Role.ADMIN, name="admin-a"), draft.id or 0)
        await policy.approve(session, Actor(role=Role.ADMIN, name="admin-b"), draft.id or 0)
        old_set = await sets.get_set(session, set_id)
        newer = await sets.create_draft(
            session,
            OFFICER,
            profile_code="hunan-2024",
            subject_kind="medical_institution",
            title="v2",
            document=old_set.document,
        )
        await sets.activate(session, OFFICER, newer.id or 0)
    async with db.transaction() as session:
        again = await runs.start(session, OFFICER, request)
        now = await runs.start(session, OFFICER, RunRequest(cycle="2025", set_ids=(set_id,)))

    assert before.id is not None
    assert again.id is not None
    assert now.id is not None
    assert await _snapshot(db, again.id) == await _snapshot(db, before.id)
    # Today's knowledge does differ: the run is not reproducible by accident.
    assert await _snapshot(db, now.id) != await _snapshot(db, before.id)
