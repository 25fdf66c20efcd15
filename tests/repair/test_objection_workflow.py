"""The objection procedure: every step, its deadlines, the 异议中 flag, roles and four-eyes."""

from __future__ import annotations

import pytest

from api.db import Database
from credit.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit.records.models import RecordStatus
from repair import repository
from repair.models import ObjectionStatus
from tests.repair.support import (
    OFFICER,
    OFFICER2,
    REVIEWER,
    add_record,
    ago,
    file_objection,
    hospital,
    move_objection,
    revision,
    seed,
    subject_actor,
    under_review,
)


async def _disputed(db: Database, number: int = 1) -> tuple[int, int]:
    await seed(db)
    subject_id = await hospital(db, number)
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(40), f"r{number}")
    return subject_id, record_id


async def test_filed_accepted_reviewed_and_dismissed(db: Database) -> None:
    subject_id, record_id = await _disputed(db)
    subject = subject_actor(subject_id)
    filed = await file_objection(db, subject, target_type="record", target_id=record_id)
    assert filed.status == ObjectionStatus.SUBMITTED
    assert filed.deadline is not None
    assert filed.deadline > filed.submitted_on

    accepted = await move_objection(db, OFFICER, filed.id or 0, "accepted")
    assert accepted.accepted_by == OFFICER.name
    assert accepted.deadline is not None
    assert accepted.deadline > filed.deadline
    await move_objection(db, OFFICER2, filed.id or 0, "under_review")
    assert (await revision(db, record_id)).status == RecordStatus.UNDER_OBJECTION

    with pytest.raises(InvalidInput) as no_reason:
        await move_objection(db, REVIEWER, filed.id or 0, "dismissed")
    assert no_reason.value.field == "reason"
    dismissed = await move_objection(
        db, REVIEWER, filed.id or 0, "dismissed", reason="处罚决定合法有效"
    )
    assert dismissed.status == ObjectionStatus.DISMISSED
    assert dismissed.deadline is None
    assert (await revision(db, record_id)).status == RecordStatus.ACTIVE
    async with db.transaction() as session:
        events = await repository.objection_events(session, filed.id or 0)
    assert [(e.action, e.actor) for e in events] == [
        ("submitted", subject.name),
        ("accepted", OFFICER.name),
        ("under_review", OFFICER2.name),
        ("dismissed", REVIEWER.name),
    ]
    assert events[-1].reason == "处罚决定合法有效"


async def test_not_accepted_needs_a_reason_and_ends_it(db: Database) -> None:
    subject_id, record_id = await _disputed(db)
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    with pytest.raises(InvalidInput):
        await move_objection(db, OFFICER, filed.id or 0, "not_accepted")
    refused = await move_objection(
        db, OFFICER, filed.id or 0, "not_accepted", reason="未提供任何证据"
    )
    assert refused.status == ObjectionStatus.NOT_ACCEPTED
    assert refused.decision_reason == "未提供任何证据"
    with pytest.raises(Conflict) as closed:
        await move_objection(db, OFFICER, filed.id or 0, "accepted")
    assert closed.value.rule == "transition"
    # The record was never flagged.
    assert (await revision(db, record_id)).status == RecordStatus.ACTIVE


async def test_steps_out_of_order_are_refused(db: Database) -> None:
    subject_id, record_id = await _disputed(db)
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    for to in ("under_review", "upheld", "partly_upheld", "dismissed"):
        with pytest.raises(Conflict) as refused:
            await move_objection(db, REVIEWER, filed.id or 0, to, reason="r")
        assert refused.value.rule == "transition"
    await move_objection(db, OFFICER, filed.id or 0, "accepted")
    with pytest.raises(Conflict):
        await move_objection(db, REVIEWER, filed.id or 0, "upheld", reason="r")


async def test_the_decision_takes_a_reviewer_other_than_who_handled_it(db: Database) -> None:
    subject_id, record_id = await _disputed(db)
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    await move_objection(db, REVIEWER, filed.id or 0, "accepted")
    await move_objection(db, OFFICER, filed.id or 0, "under_review")
    with pytest.raises(Forbidden) as officer:
        await move_objection(db, OFFICER2, filed.id or 0, "upheld", reason="r")
    assert officer.value.rule == "role"
    with pytest.raises(Forbidden) as same:
        await move_objection(db, REVIEWER, filed.id or 0, "upheld", reason="r")
    assert same.value.rule == "four_eyes"


async def test_one_extension_with_a_reason(db: Database) -> None:
    subject_id, record_id = await _disputed(db)
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    with pytest.raises(Conflict) as early:
        await move_objection(db, OFFICER, filed.id or 0, "extended", reason="案情复杂")
    assert early.value.rule == "transition"
    await under_review(db, filed.id or 0)
    before = (
        await move_objection(
            db, OFFICER, filed.id or 0, "accepted" if False else "extended", reason="需调取外部材料"
        )
    ).deadline
    assert before is not None
    with pytest.raises(Conflict) as twice:
        await move_objection(db, OFFICER, filed.id or 0, "extended", reason="再次延期")
    assert twice.value.rule == "extension_limit"
    with pytest.raises(InvalidInput):
        await move_objection(db, OFFICER, filed.id or 0, "extended")
    async with db.transaction() as session:
        events = await repository.objection_events(session, filed.id or 0)
    moves = [e for e in events if e.action == "extended"]
    assert len(moves) == 1
    assert moves[0].changes["deadline"]["to"] == before.isoformat()
    assert moves[0].reason == "需调取外部材料"


async def test_outside_the_window_not_own_or_without_grounds_nothing_is_stored(
    db: Database,
) -> None:
    subject_id, record_id = await _disputed(db)
    other_id = await hospital(db, 2)
    old = await add_record(db, subject_id, "ENF-39-RECORD-KEEPING", ago(200), "old")
    subject = subject_actor(subject_id)
    with pytest.raises(InvalidInput) as no_grounds:
        await file_objection(db, subject, target_type="record", target_id=record_id, grounds=" ")
    assert (no_grounds.value.field, no_grounds.value.rule) == ("grounds", "required")
    with pytest.raises(NotFound):
        await file_objection(db, subject_actor(other_id), target_type="record", target_id=record_id)
    with pytest.raises(Conflict) as late:
        await file_objection(db, subject, target_type="record", target_id=old)
    assert late.value.rule == "objection_window"
    assert "publication period ended" in late.value.message
    async with db.transaction() as session:
        assert not await repository.open_objections(session)
    await file_objection(db, subject, target_type="record", target_id=record_id)
    with pytest.raises(Conflict) as again:
        await file_objection(db, subject, target_type="record", target_id=record_id)
    assert again.value.rule == "one_open_objection"
