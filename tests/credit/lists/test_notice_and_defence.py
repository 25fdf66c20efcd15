"""The notice (告知书), the statement and defence within its deadline, and the decision on it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.db import Database
from credit.kernel.actor import Actor, Role
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.lists import defence, notice, repository, service, steps
from credit.lists.models import EntryStatus
from credit.lists.schemas import AttachmentInput, DefenceInput, TransitionInput
from credit.policy.vocabulary import ListName
from tests.credit.lists.support import REVIEWER, entry_in, seed

STATEMENT = DefenceInput(
    statement="我院已全额退回违规费用，相关文书系工作人员失误所致。",
    attachments=[
        AttachmentInput(
            file_name="退款凭证.pdf", media_type="application/pdf", content_base64="JVBERi0xLjQK"
        )
    ],
)


async def test_the_notice_names_reasons_basis_rights_and_the_deadline(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 1)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, entry_id)
        html = await notice.render_notice(session, entry)
    assert entry.notice_deadline is not None
    assert "严重失信主体名单列入告知书" in html
    assert "测试医院1" in html
    assert "经查实，该机构伪造医疗文书骗取医保基金" in html
    assert "《医疗保障基金使用监督管理条例》第四十条" in html
    assert "陈述和申辩" in html
    assert "5个工作日内" in html
    assert entry.notice_deadline.isoformat() in html
    assert "行政复议" in html


async def test_a_proposal_has_no_notice_yet(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.PROPOSED, 1)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, entry_id)
        with pytest.raises(Conflict) as refused:
            await notice.render_notice(session, entry)
    assert refused.value.rule == "no_notice"


async def test_defence_before_the_deadline_is_kept_and_must_be_weighed(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 1)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, entry_id)
        subject = Actor(role=Role.SUBJECT, name="hospital-1", subject_id=entry.subject_id)
        assert entry.notice_deadline is not None
        stored = await defence.submit_defence(
            session, subject, ListName.BLACK, entry_id, STATEMENT, today=entry.notice_deadline
        )
        deadline = entry.notice_deadline
    async with db.transaction() as session:
        files = await repository.attachments_of(session, entry_id)
        assert [(f.file_name, f.size) for f in files] == [("退款凭证.pdf", 9)]
        assert files[0].defence_id == stored.id
        # A defence arrived: the decision may come before the deadline, but must weigh it.
        with pytest.raises(InvalidInput) as unweighed:
            await steps.move(
                session,
                REVIEWER,
                ListName.BLACK,
                entry_id,
                TransitionInput(to=EntryStatus.DECIDED, reason="决定列入"),
                today=deadline,
            )
    assert unweighed.value.field == "defence_considered"
    async with db.transaction() as session:
        decided = await steps.move(
            session,
            REVIEWER,
            ListName.BLACK,
            entry_id,
            TransitionInput(
                to=EntryStatus.DECIDED,
                reason="决定列入",
                defence_considered="退款属实但不影响欺诈骗保事实认定，不予采纳",
            ),
            today=deadline,
        )
    assert decided.decision_note == "退款属实但不影响欺诈骗保事实认定，不予采纳"


async def test_defence_after_the_deadline_is_refused_naming_it(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 1)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, entry_id)
        subject = Actor(role=Role.SUBJECT, name="hospital-1", subject_id=entry.subject_id)
        assert entry.notice_deadline is not None
        late = entry.notice_deadline + timedelta(days=1)
        with pytest.raises(Conflict) as refused:
            await defence.submit_defence(
                session, subject, ListName.BLACK, entry_id, STATEMENT, today=late
            )
    assert refused.value.rule == "defence_deadline"
    assert entry.notice_deadline.isoformat() in refused.value.message
    async with db.transaction() as session:
        assert not await repository.defences_of(session, entry_id)
        # Without a defence, the decision waits for the period to end.
        with pytest.raises(Conflict) as early:
            await steps.move(
                session,
                REVIEWER,
                ListName.BLACK,
                entry_id,
                TransitionInput(to=EntryStatus.DECIDED, reason="决定列入"),
                today=entry.notice_deadline,
            )
    assert early.value.rule == "notice_period_running"


async def test_another_subject_can_neither_read_nor_defend(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 1)
    stranger = Actor(role=Role.SUBJECT, name="other", subject_id=999)
    async with db.transaction() as session:
        with pytest.raises(NotFound):
            await defence.submit_defence(session, stranger, ListName.BLACK, entry_id, STATEMENT)
        with pytest.raises(NotFound):
            await service.readable_entry(session, stranger, ListName.BLACK, entry_id)
