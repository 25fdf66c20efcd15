"""Notifications reach the right inboxes once, and queue one outbox message per recipient."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.db import Database
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.notifications import service as notifications
from credit.notifications.models import Notification, OutboxMessage, OutboxStatus
from tests.indicators.support import hospital


async def _account(db: Database, username: str, role: Role, subject_id: int | None = None) -> int:
    async with db.transaction() as session:
        account = await accounts.create_account(
            session,
            SYSTEM_ACTOR,
            AccountCreate(
                username=username, password="long enough pw", role=role, subject_id=subject_id
            ),
        )
    assert account.id is not None
    return account.id


async def _inbox_titles(db: Database, account_id: int) -> list[str]:
    async with db.transaction() as session:
        page = await notifications.inbox(session, account_id, cursor=None, limit=50)
    return [item.title for item in page.items]


async def test_subject_notification_reaches_only_that_subjects_accounts(db: Database) -> None:
    first, second = await hospital(db, 1), await hospital(db, 2)
    clerk = await _account(db, "clerk1", Role.SUBJECT, first)
    director = await _account(db, "director1", Role.SUBJECT, first)
    other = await _account(db, "clerk2", Role.SUBJECT, second)
    officer = await _account(db, "officer1", Role.OFFICER)
    async with db.transaction() as session:
        await notifications.notify(
            session, kind="objection.decided", title="异议已决定", body="维持", subject_id=first
        )
    assert await _inbox_titles(db, clerk) == ["异议已决定"]
    assert await _inbox_titles(db, director) == ["异议已决定"]
    assert await _inbox_titles(db, other) == []
    assert await _inbox_titles(db, officer) == []


async def test_role_broadcast_about_a_subject_skips_the_subject(db: Database) -> None:
    subject = await hospital(db, 1)
    clerk = await _account(db, "clerk1", Role.SUBJECT, subject)
    officers = [await _account(db, f"officer{n}", Role.OFFICER) for n in (1, 2)]
    reviewer = await _account(db, "reviewer1", Role.REVIEWER)
    async with db.transaction() as session:
        await notifications.notify(
            session,
            kind="objection.overdue",
            title="异议逾期",
            body="请尽快处理",
            subject_id=subject,
            role="officer",
        )
    for officer in officers:
        assert await _inbox_titles(db, officer) == ["异议逾期"]
    assert await _inbox_titles(db, reviewer) == []
    assert await _inbox_titles(db, clerk) == []


async def test_one_account(db: Database) -> None:
    officer = await _account(db, "officer1", Role.OFFICER)
    colleague = await _account(db, "officer2", Role.OFFICER)
    async with db.transaction() as session:
        await notifications.notify(session, kind="x", title="给你", body="b", account_id=officer)
    assert await _inbox_titles(db, officer) == ["给你"]
    assert await _inbox_titles(db, colleague) == []


async def test_same_dedupe_key_twice_is_a_no_op(db: Database) -> None:
    subject = await hospital(db, 1)
    clerk = await _account(db, "clerk1", Role.SUBJECT, subject)
    for _ in range(2):
        async with db.transaction() as session:
            await notifications.notify(
                session,
                kind="deadline.reminder",
                title="还剩2个工作日",
                body="b",
                subject_id=subject,
                dedupe_key="objection:7:reminder:2",
            )
    assert await _inbox_titles(db, clerk) == ["还剩2个工作日"]
    async with db.transaction() as session:
        notes = (await session.execute(select(func.count()).select_from(Notification))).scalar()
        queued = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar()
    assert (notes, queued) == (1, 1)


async def test_without_dedupe_key_each_call_notifies(db: Database) -> None:
    officer = await _account(db, "officer1", Role.OFFICER)
    for _ in range(2):
        async with db.transaction() as session:
            await notifications.notify(session, kind="x", title="t", body="b", account_id=officer)
    assert await _inbox_titles(db, officer) == ["t", "t"]


async def test_subject_without_accounts_is_queued_for_its_own_contacts(db: Database) -> None:
    subject = await hospital(db, 1)
    async with db.transaction() as session:
        await notifications.notify(session, kind="x", title="t", body="b", subject_id=subject)
        page = await notifications.outbox(
            session, status=OutboxStatus.PENDING, after_id=None, limit=10
        )
    assert [(item.account_id, item.subject_id) for item in page.items] == [(None, subject)]


async def test_no_recipient_or_unknown_role_is_refused(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(InvalidInput) as missing:
            await notifications.notify(session, kind="x", title="t", body="b")
        assert missing.value.field == "recipient"
        with pytest.raises(InvalidInput) as unknown:
            await notifications.notify(session, kind="x", title="t", body="b", role="partner")
        assert unknown.value.field == "role"
        with pytest.raises(NotFound):
            await notifications.notify(session, kind="x", title="t", body="b", account_id=999)


async def test_unread_first_then_read_and_paging(db: Database) -> None:
    officer = await _account(db, "officer1", Role.OFFICER)
    async with db.transaction() as session:
        for n in range(5):
            await notifications.notify(
                session, kind="x", title=f"n{n}", body="b", account_id=officer
            )
        first_page = await notifications.inbox(session, officer, cursor=None, limit=5)
        by_title = {item.title: item.id for item in first_page.items}
        await notifications.mark_read(session, officer, by_title["n4"])
        await notifications.mark_read(session, officer, by_title["n1"])
    seen: list[str] = []
    cursor = None
    async with db.transaction() as session:
        while True:
            page = await notifications.inbox(session, officer, cursor=cursor, limit=2)
            seen += [item.title for item in page.items]
            assert page.unread == 3
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == ["n3", "n2", "n0", "n4", "n1"]


async def test_another_accounts_item_cannot_be_read(db: Database) -> None:
    first, second = await hospital(db, 1), await hospital(db, 2)
    mine = await _account(db, "clerk1", Role.SUBJECT, first)
    theirs = await _account(db, "clerk2", Role.SUBJECT, second)
    async with db.transaction() as session:
        await notifications.notify(session, kind="x", title="t", body="b", subject_id=first)
        item_id = (await notifications.inbox(session, mine, cursor=None, limit=5)).items[0].id
        with pytest.raises(NotFound):
            await notifications.mark_read(session, theirs, item_id)
        again = await notifications.mark_read(session, mine, item_id)
        twice = await notifications.mark_read(session, mine, item_id)
    assert again.read_at is not None
    assert twice.read_at == again.read_at


async def test_gateway_marks_sent_and_failed(db: Database) -> None:
    officer = await _account(db, "officer1", Role.OFFICER)
    async with db.transaction() as session:
        for title in ("a", "b"):
            await notifications.notify(session, kind="x", title=title, body="b", account_id=officer)
        pending = await notifications.outbox(
            session, status=OutboxStatus.PENDING, after_id=None, limit=10
        )
        sent_id, failing_id = (item.id for item in pending.items)
        sent = await notifications.mark_sent(session, sent_id)
        retried = await notifications.mark_failed(session, failing_id, error="timeout", retry=True)
        failed = await notifications.mark_failed(session, failing_id, error="bounced", retry=False)
        with pytest.raises(Conflict):
            await notifications.mark_sent(session, sent_id)
        with pytest.raises(Conflict):
            await notifications.mark_failed(session, sent_id, error="late", retry=False)
        left = await notifications.outbox(
            session, status=OutboxStatus.PENDING, after_id=None, limit=10
        )
    assert (sent.status, sent.attempts, sent.sent_at is not None) == ("sent", 1, True)
    assert (retried.status, retried.attempts) == ("pending", 1)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 2, "bounced")
    assert left.items == []
