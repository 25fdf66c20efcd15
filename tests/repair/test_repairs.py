"""Credit repair: eligibility named condition by condition, the procedure, four-eyes, effects."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from api.db import Database
from credit.changelog.models import ChangeOp
from credit.kernel.errors import Conflict, Forbidden, InvalidInput
from credit.lists.models import EntryStatus, RemovalReason
from credit.policy.vocabulary import ListName
from credit.records import service as records
from credit.records.models import RecordStatus
from credit.records.publication import add_months
from repair import repairs, repository
from repair.models import RepairStatus, RepairTarget
from tests.credit.lists.support import entry_in
from tests.repair.support import ADMIN as ADMIN_ACTOR
from tests.repair.support import (
    OFFICER,
    OFFICER2,
    REVIEWER,
    active_measures,
    add_record,
    ago,
    attach,
    change_log,
    entry,
    file_repair,
    hospital,
    live_score,
    move_repair,
    open_entries,
    publish_black,
    revision,
    seed,
    subject_actor,
    today,
)


async def _conditions(db: Database, target: RepairTarget, target_id: int) -> dict[str, object]:
    async with db.transaction() as session:
        found = await repairs.assess(session, OFFICER, target, target_id)
    return {c.code: c for c in found.conditions}


async def test_before_the_minimum_period_every_condition_is_named(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    decided = today() - timedelta(days=60)
    record_id = await add_record(
        db, subject_id, "ENF-40-OTHER-FRAUD", decided.isoformat(), "serious", fine_amount="5000"
    )
    conditions = await _conditions(db, RepairTarget.RECORD, record_id)
    period = conditions["minimum_period"]
    assert period.status == "unmet"  # type: ignore[attr-defined]
    assert period.on == add_months(decided, 12) + timedelta(days=1)  # type: ignore[attr-defined]
    assert conditions["obligations"].status == "document_required"  # type: ignore[attr-defined]
    assert conditions["commitment"].status == "document_required"  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as refused:
        await file_repair(db, subject_actor(subject_id), target_type="record", target_id=record_id)
    assert refused.value.rule == "minimum_period"
    assert refused.value.extra["earliest_on"] == period.on.isoformat()  # type: ignore[attr-defined]
    async with db.transaction() as session:
        assert not await repository.open_repairs(session)


async def test_a_non_repairable_item_is_refused(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(db, subject_id, "ENF-43-MANAGEMENT-BAN", ago(400), "ban")
    conditions = await _conditions(db, RepairTarget.RECORD, record_id)
    assert conditions["not_repairable"].status == "unmet"  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as refused:
        await file_repair(db, subject_actor(subject_id), target_type="record", target_id=record_id)
    assert refused.value.rule == "not_repairable"


async def test_a_new_negative_record_within_the_clean_months(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(200), "old")
    newer = today() - timedelta(days=30)
    await add_record(db, subject_id, "ENF-38-BED-HOLDING", newer.isoformat(), "new")
    condition = (await _conditions(db, RepairTarget.RECORD, record_id))["new_negative_record"]
    assert condition.status == "unmet"  # type: ignore[attr-defined]
    assert condition.on == add_months(newer, 6) + timedelta(days=1)  # type: ignore[attr-defined]


async def test_the_procedure_with_documents_and_four_eyes(db: Database, tmp_path: Path) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(
        db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(200), "r", fine_amount="5000"
    )
    subject = subject_actor(subject_id)
    before = await live_score(db, subject_id)
    filed = await file_repair(db, subject, target_type="record", target_id=record_id)
    assert filed.status == RepairStatus.SUBMITTED
    with pytest.raises(Conflict) as missing:
        await move_repair(db, OFFICER, filed.id or 0, "accepted")
    assert missing.value.rule == "documents_missing"
    assert missing.value.extra["documents_required"] == ["obligations", "commitment"]
    await attach(db, subject, filed, "obligation", tmp_path)
    await attach(db, subject, filed, "commitment", tmp_path, file_name="承诺书.pdf")
    accepted = await move_repair(db, OFFICER, filed.id or 0, "accepted")
    assert accepted.deadline is not None
    await move_repair(db, OFFICER2, filed.id or 0, "under_review")
    with pytest.raises(Forbidden) as officer:
        await move_repair(db, OFFICER2, filed.id or 0, "approved")
    assert officer.value.rule == "role"
    approved = await move_repair(db, REVIEWER, filed.id or 0, "approved")
    assert approved.status == RepairStatus.APPROVED
    assert approved.score_effect == "next_cycle"
    repaired = await revision(db, record_id)
    assert repaired.status == RecordStatus.REPAIRED
    assert repaired.repair_counts_until == today()
    after = await live_score(db, subject_id)
    # The pack's next-cycle effect: this year's live score still counts the record.
    assert before is not None
    assert after is not None
    assert after.total == before.total
    with pytest.raises(Conflict):
        await move_repair(db, REVIEWER, filed.id or 0, "rejected", reason="r")
    again = await _conditions(db, RepairTarget.RECORD, record_id)
    assert again["record_status"].status == "unmet"  # type: ignore[attr-defined]


async def test_four_eyes_refuses_the_acceptor(db: Database, tmp_path: Path) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(200), "r")
    subject = subject_actor(subject_id)
    filed = await file_repair(db, subject, target_type="record", target_id=record_id)
    await attach(db, subject, filed, "commitment", tmp_path)
    await move_repair(db, REVIEWER, filed.id or 0, "accepted")
    await move_repair(db, OFFICER, filed.id or 0, "under_review")
    with pytest.raises(Forbidden) as same:
        await move_repair(db, REVIEWER, filed.id or 0, "approved")
    assert same.value.rule == "four_eyes"
    with pytest.raises(Conflict):
        await move_repair(db, OFFICER2, filed.id or 0, "not_accepted", reason="x")
    rejected = await move_repair(db, ADMIN_ACTOR, filed.id or 0, "rejected", reason="整改不到位")
    assert rejected.status == RepairStatus.REJECTED
    assert (await revision(db, record_id)).status == RecordStatus.ACTIVE


async def test_not_accepted_with_a_reason(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(200), "r")
    filed = await file_repair(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    with pytest.raises(InvalidInput):
        await move_repair(db, OFFICER, filed.id or 0, "not_accepted")
    refused = await move_repair(db, OFFICER, filed.id or 0, "not_accepted", reason="材料不全")
    assert refused.status == RepairStatus.NOT_ACCEPTED
    # Refused: the subject may ask again.
    await file_repair(db, subject_actor(subject_id), target_type="record", target_id=record_id)


async def test_repairing_the_record_ends_the_listing_it_grounded(
    db: Database, tmp_path: Path
) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(
        db, subject_id, "ENF-38-OTHER-LOSS", ago(200), "loss", amount_involved="600000"
    )
    (proposed,) = await open_entries(db, subject_id)
    await publish_black(db, proposed.id or 0)
    assert "DIS-SUSPEND-SETTLEMENT" in await active_measures(db, subject_id)
    subject = subject_actor(subject_id)
    filed = await file_repair(db, subject, target_type="record", target_id=record_id)
    await attach(db, subject, filed, "obligation", tmp_path)
    await attach(db, subject, filed, "commitment", tmp_path, content=b"%PDF-1.4 signed")
    await move_repair(db, OFFICER, filed.id or 0, "accepted")
    await move_repair(db, OFFICER, filed.id or 0, "under_review")
    await move_repair(db, REVIEWER, filed.id or 0, "approved")
    ended = await entry(db, proposed.id or 0)
    assert (ended.status, ended.removal_reason) == (EntryStatus.REMOVED, RemovalReason.REPAIRED)
    assert "DIS-SUSPEND-SETTLEMENT" not in await active_measures(db, subject_id)
    log = await change_log(db, subject_id)
    assert any(e.entity == "list_entry" and e.op == ChangeOp.DEL for e in log)


async def test_leaving_the_focus_list_and_the_blacklist_waits_its_years(
    db: Database, tmp_path: Path
) -> None:
    await seed(db)
    listed = await entry_in(db, ListName.FOCUS, EntryStatus.LISTED, 3)
    subject_id = (await entry(db, listed)).subject_id
    subject = subject_actor(subject_id)
    filed = await file_repair(db, subject, target_type="list_entry", target_id=listed)
    await attach(db, subject, filed, "commitment", tmp_path)
    await move_repair(db, OFFICER, filed.id or 0, "accepted")
    await move_repair(db, OFFICER, filed.id or 0, "under_review")
    await move_repair(db, REVIEWER, filed.id or 0, "approved")
    left = await entry(db, listed)
    assert (left.status, left.removal_reason) == (EntryStatus.REMOVED, RemovalReason.REPAIRED)

    black_owner = await hospital(db, 9)
    from tests.credit.lists.support import propose

    black = await propose(db, ListName.BLACK, black_owner)
    await publish_black(db, black)
    condition = (await _conditions(db, RepairTarget.LIST_ENTRY, black))["minimum_period"]
    assert condition.status == "unmet"  # type: ignore[attr-defined]
    valid_from = (await entry(db, black)).valid_from
    assert valid_from is not None
    assert condition.on == add_months(valid_from, 12)  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as refused:
        await file_repair(db, subject_actor(black_owner), target_type="list_entry", target_id=black)
    assert refused.value.rule == "minimum_period"


async def test_the_interval_since_the_last_repair(db: Database, tmp_path: Path) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    first = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(300), "a")
    second = await add_record(db, subject_id, "ENF-38-BED-HOLDING", ago(290), "b")
    subject = subject_actor(subject_id)
    filed = await file_repair(db, subject, target_type="record", target_id=first)
    await attach(db, subject, filed, "commitment", tmp_path)
    await move_repair(db, OFFICER, filed.id or 0, "accepted")
    await move_repair(db, OFFICER, filed.id or 0, "under_review")
    await move_repair(db, REVIEWER, filed.id or 0, "approved")
    condition = (await _conditions(db, RepairTarget.RECORD, second))["repair_interval"]
    assert condition.status == "unmet"  # type: ignore[attr-defined]
    assert condition.on == add_months(today(), 12)  # type: ignore[attr-defined]


async def test_the_score_effect_at_once_or_from_the_next_cycle(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    waiting = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(200), "a")
    at_once = await add_record(db, subject_id, "ENF-38-BED-HOLDING", ago(200), "b")
    start = await live_score(db, subject_id)
    async with db.transaction() as session:
        await records.mark_repaired(session, REVIEWER, waiting, "repair", counts_until=today())
    kept = await live_score(db, subject_id)
    async with db.transaction() as session:
        await records.mark_repaired(session, REVIEWER, at_once, "repair", counts_until=None)
    lifted = await live_score(db, subject_id)
    assert start is not None
    assert kept is not None
    assert lifted is not None
    assert kept.total == start.total
    assert lifted.total is not None
    assert start.total is not None
    assert lifted.total > start.total
