"""What a decided objection does, end to end: record → live score → results → lists → measures
→ change log, each in the decision's transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from api.db import Database
from credit.changelog.models import ChangeOp
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import Conflict, InvalidInput
from credit.lists.models import EntryStatus, RemovalReason
from credit.notifications.models import Notification
from credit.policy.vocabulary import ListName
from credit.records.models import RecordStatus
from indicators import points, report, runs
from indicators.models import RunStatus
from indicators.runs import RunRequest
from repair.models import ObjectionStatus
from tests.credit.lists.support import entry_in
from tests.credit.measures.support import person
from tests.indicators.support import hunan_set_id, publish
from tests.repair.support import (
    OFFICER,
    REVIEWER,
    active_measures,
    add_record,
    ago,
    change_log,
    entry,
    file_objection,
    hospital,
    live_score,
    move_objection,
    open_entries,
    publish_black,
    revision,
    seed,
    subject_actor,
    under_review,
)


async def _blacklisted(db: Database) -> tuple[int, int, int]:
    """A hospital with a fraud record, the blacklist entry it grounds published, and a
    published 2026 evaluation; (subject, record, entry)."""
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(db, subject_id, "ENF-40-FALSE-DOCUMENTS", ago(60), "fraud")
    (proposed,) = await open_entries(db, subject_id)  # found automatically from the record
    assert proposed.list_name == ListName.BLACK
    await publish_black(db, proposed.id or 0)
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        run = await runs.start(session, OFFICER, RunRequest(cycle="2026", set_ids=(set_id,)))
    await publish(db, run.id or 0)
    return subject_id, record_id, proposed.id or 0


async def test_upheld_revokes_and_everything_follows(db: Database) -> None:
    subject_id, record_id, entry_id = await _blacklisted(db)
    before = await live_score(db, subject_id)
    assert before is not None
    assert before.total is not None
    assert "DIS-SUSPEND-SETTLEMENT" in await active_measures(db, subject_id)
    async with db.transaction() as session:
        published = await report.report(session, SYSTEM_ACTOR, subject_id)
    assert published.current is not None
    original_run = published.current[1]

    filed = await file_objection(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    await under_review(db, filed.id or 0)
    upheld = await move_objection(
        db, REVIEWER, filed.id or 0, "upheld", reason="行政复议决定撤销原处罚决定"
    )
    assert upheld.status == ObjectionStatus.UPHELD

    assert (await revision(db, record_id)).status == RecordStatus.REVOKED
    after = await live_score(db, subject_id)
    assert after is not None
    assert after.total is not None
    assert after.total > before.total  # the 30-point deduction is gone
    removed = await entry(db, entry_id)
    assert removed.status == EntryStatus.REMOVED
    assert removed.removal_reason == RemovalReason.REVOKED
    assert not {"DIS-SUSPEND-SETTLEMENT", "DIS-TERMINATE-AGREEMENT"} & await active_measures(
        db, subject_id
    )
    log = await change_log(db, subject_id)
    assert (log[-1].entity, log[-1].op) != ("list_entry", ChangeOp.ADD)
    assert any(e.entity == "list_entry" and e.op == ChangeOp.DEL for e in log)
    assert any(
        e.entity == "measure_assignment" and e.op == ChangeOp.DEL for e in log
    )  # partners learn the measures ended
    async with db.transaction() as session:
        corrected = await report.report(session, SYSTEM_ACTOR, subject_id)
        told = (
            (
                await session.execute(
                    select(Notification).where(Notification.subject_id == subject_id)  # type: ignore[arg-type]
                )
            )
            .scalars()
            .all()
        )
    assert corrected.current is not None
    result, run = corrected.current
    assert run.id != original_run.id
    assert run.corrects_run_id == original_run.id
    assert run.status == RunStatus.PUBLISHED
    assert result.total is not None
    assert result.total > published.current[0].total
    assert any(n.kind == "objection.upheld" for n in told)


async def test_partly_upheld_corrects_the_record(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(
        db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(30), "r", fine_amount="20000"
    )
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    await under_review(db, filed.id or 0)
    with pytest.raises(InvalidInput) as nothing_said:
        await move_objection(db, REVIEWER, filed.id or 0, "partly_upheld", reason="罚款金额有误")
    assert nothing_said.value.field == "corrections"
    assert (await revision(db, record_id)).status == RecordStatus.UNDER_OBJECTION
    decided = await move_objection(
        db,
        REVIEWER,
        filed.id or 0,
        "partly_upheld",
        reason="罚款金额有误",
        corrections={"fine_amount": "10000"},
    )
    assert decided.status == ObjectionStatus.PARTLY_UPHELD
    corrected = await revision(db, record_id)
    assert corrected.status == RecordStatus.CORRECTED
    assert corrected.fine_amount == Decimal("10000.00")
    shown = decided.decided_changes["fine_amount"]
    assert (Decimal(shown["from"]), Decimal(shown["to"])) == (Decimal(20000), Decimal(10000))


async def test_a_list_entry_shows_the_flag_to_partners_and_is_removed(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.PUBLISHED, 5)
    subject_id = (await entry(db, entry_id)).subject_id
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="list_entry", target_id=entry_id
    )
    await under_review(db, filed.id or 0)
    flagged = await entry(db, entry_id)
    assert flagged.under_objection
    log = await change_log(db, subject_id)
    assert log[-1].op == ChangeOp.MOD
    assert log[-1].body["under_objection"] is True

    await move_objection(db, REVIEWER, filed.id or 0, "upheld", reason="认定依据不足")
    ended = await entry(db, entry_id)
    assert ended.status == EntryStatus.REMOVED
    assert ended.removal_reason == RemovalReason.REVOKED
    assert not ended.under_objection
    last = (await change_log(db, subject_id))[-1]
    assert (last.entity, last.op) == ("list_entry", ChangeOp.DEL)


async def test_an_entry_in_publicity_is_dropped_and_a_notified_one_is_defended_instead(
    db: Database,
) -> None:
    await seed(db)
    in_publicity = await entry_in(db, ListName.BLACK, EntryStatus.PUBLICITY, 6)
    notified = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 7)
    owner = (await entry(db, notified)).subject_id
    with pytest.raises(Conflict) as defend:
        await file_objection(db, subject_actor(owner), target_type="list_entry", target_id=notified)
    assert defend.value.rule == "objection_window"
    subject_id = (await entry(db, in_publicity)).subject_id
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="list_entry", target_id=in_publicity
    )
    await under_review(db, filed.id or 0)
    await move_objection(db, REVIEWER, filed.id or 0, "upheld", reason="公示期内异议成立")
    assert (await entry(db, in_publicity)).status == EntryStatus.DROPPED


async def test_points_objection_flags_the_entry_and_upheld_takes_the_person_off(
    db: Database,
) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    physician = await person(db, "physician", 1)
    record_id = await add_record(
        db,
        subject_id,
        "ENF-38-SPLIT-ADMISSION",
        ago(20),
        "named",
        responsible=[{"subject_id": physician, "tier": "principal"}],
    )
    async with db.transaction() as session:
        ledger = await points.ledger(session, physician)
    assert ledger.total > 0
    filed = await file_objection(
        db, subject_actor(physician), target_type="points", target_id=record_id
    )
    assert filed.subject_id == physician
    await under_review(db, filed.id or 0)
    async with db.transaction() as session:
        ledger = await points.ledger(session, physician)
    assert ledger.entries[0]["under_objection"] is True
    await move_objection(db, REVIEWER, filed.id or 0, "upheld", reason="该医师未参与")
    async with db.transaction() as session:
        ledger = await points.ledger(session, physician)
    assert ledger.total == 0
    kept = await revision(db, record_id)
    assert kept.status == RecordStatus.CORRECTED
    assert kept.responsible == []


async def test_result_objection_flags_the_result_and_upheld_supersedes_it(db: Database) -> None:
    subject_id, record_id, _ = await _blacklisted(db)
    async with db.transaction() as session:
        published = await report.report(session, SYSTEM_ACTOR, subject_id)
    assert published.current is not None
    result_id = published.current[0].id or 0
    filed = await file_objection(
        db,
        subject_actor(subject_id),
        target_type="result",
        target_id=result_id,
        record_id=record_id,
    )
    await under_review(db, filed.id or 0)
    async with db.transaction() as session:
        flagged = await report.report(session, SYSTEM_ACTOR, subject_id)
    assert flagged.current is not None
    assert flagged.current[0].under_objection
    assert (await revision(db, record_id)).status == RecordStatus.ACTIVE  # the result is flagged
    await move_objection(db, REVIEWER, filed.id or 0, "upheld", reason="评价所依据的记录已撤销")
    async with db.transaction() as session:
        corrected = await report.report(session, SYSTEM_ACTOR, subject_id)
    assert corrected.current is not None
    assert corrected.current[0].id != result_id
    assert not corrected.current[0].under_objection
    assert (await revision(db, record_id)).status == RecordStatus.REVOKED
