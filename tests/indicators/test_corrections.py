"""Corrections: superseding results for the affected subjects only; published ones never change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import InvalidInput
from credit.records import service as records
from indicators import report, repository, runs
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


async def _publish(db: Database, run_id: int) -> None:
    await publish(db, run_id)


async def test_a_correction_supersedes_only_the_affected_subjects(db: Database) -> None:
    await seed(db)
    affected, untouched = await hospital(db, 1), await hospital(db, 2)
    wrong = await add_record(db, affected, "ENF-40-OTHER-FRAUD", "2025-03-01", "a")
    await add_record(db, untouched, "MON-SPLIT-CHARGE", "2025-03-01", "b")
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        original = await runs.start(session, OFFICER, RunRequest(cycle="2025", set_ids=(set_id,)))
        with pytest.raises(InvalidInput) as unpublished:
            await runs.correct(session, OFFICER, original.id or 0)
    assert unpublished.value.rule == "published_only"
    await _publish(db, original.id or 0)
    async with db.transaction() as session:
        await records.revoke(session, REVIEWER, wrong, reason="objection upheld")
        correction = await runs.correct(session, OFFICER, original.id or 0)
    await _publish(db, correction.id or 0)

    async with db.transaction() as session:
        corrected = await repository.results(session, correction.id or 0)
        kept = {r.subject_id: r for r in await repository.results(session, original.id or 0)}
        first = await runs.get_run(session, original.id or 0)
        fixed = await report.report(session, SYSTEM_ACTOR, affected)
        other = await report.report(session, SYSTEM_ACTOR, untouched)
    assert [r.subject_id for r in corrected] == [affected]
    assert corrected[0].total == Decimal("70.00")
    assert first.status == RunStatus.PUBLISHED  # the run itself is not superseded
    assert kept[affected].total == Decimal("50.00")  # the published result never changes
    assert fixed.current is not None
    assert fixed.current[1].id == correction.id
    assert [entry["total"] for entry in fixed.history] == ["70.00", "50.00"]
    assert other.current is not None
    assert other.current[1].id == original.id
