"""Validity, amendments and removals as partners see them, expiry, and what was in force when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from api.db import Database
from credit.changelog.models import ChangedEntity, ChangeLogEntry
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput
from credit.lists import service, steps
from credit.lists.models import EntryStatus, RemovalReason
from credit.lists.schemas import AmendInput, TransitionInput
from credit.lists.sweep import sweep_lists
from credit.policy.vocabulary import ListName
from tests.credit.lists.support import REVIEWER, advance, entry_in, seed


async def _changes(db: Database, entry_id: int) -> list[ChangeLogEntry]:
    async with db.transaction() as session:
        query = (
            select(ChangeLogEntry)
            .where(
                col(ChangeLogEntry.entity) == ChangedEntity.LIST_ENTRY,
                col(ChangeLogEntry.entity_id) == entry_id,
            )
            .order_by(col(ChangeLogEntry.seq))
        )
        return list((await session.execute(query)).scalars())


async def test_partners_receive_add_mod_and_del_in_sequence(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.DECIDED, 1)
    await advance(db, ListName.BLACK, entry_id, EntryStatus.PUBLICITY)
    assert await _changes(db, entry_id) == []  # nothing reaches partners before publication
    await advance(db, ListName.BLACK, entry_id, EntryStatus.PUBLISHED)
    async with db.transaction() as session:
        await steps.amend(
            session,
            REVIEWER,
            ListName.BLACK,
            entry_id,
            AmendInput(
                reason="行政复议决定变更依据",
                legal_basis="《医疗保障基金使用监督管理条例》第四十条第一款",
            ),
        )
    async with db.transaction() as session:
        await steps.move(
            session,
            REVIEWER,
            ListName.BLACK,
            entry_id,
            TransitionInput(
                to=EntryStatus.REMOVED,
                reason="法院判决撤销",
                removal_reason=RemovalReason.OVERTURNED,
            ),
        )
    changes = await _changes(db, entry_id)
    assert [change.op for change in changes] == ["ADD", "MOD", "DEL"]
    assert [change.seq for change in changes] == sorted(change.seq for change in changes)
    assert all(change.public for change in changes)
    assert changes[0].body["status"] == "published"
    assert changes[0].body["subject"]["name"] == "测试医院1"
    assert changes[1].body["legal_basis"] == "《医疗保障基金使用监督管理条例》第四十条第一款"
    assert changes[2].body["removal_reason"] == "overturned"
    assert changes[2].body["status"] == "removed"


async def test_focus_entries_reach_partners_but_not_the_public(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.FOCUS, EntryStatus.LISTED, 1)
    (added,) = await _changes(db, entry_id)
    assert added.op == "ADD"
    assert not added.public


async def test_only_an_entry_in_force_is_amended(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.RED, EntryStatus.APPROVED, 1)
    async with db.transaction() as session:
        with pytest.raises(Conflict) as refused:
            await steps.amend(
                session, REVIEWER, ListName.RED, entry_id, AmendInput(reason="x", reasons=["y"])
            )
    assert refused.value.rule == "amend_in_force_only"


async def test_red_validity_stays_within_the_packs_range(db: Database) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.RED, EntryStatus.PUBLICITY, 1)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.RED, entry_id)
        assert entry.publicity_until is not None
        after = entry.publicity_until + timedelta(days=1)
        with pytest.raises(InvalidInput):
            await steps.move(
                session,
                REVIEWER,
                ListName.RED,
                entry_id,
                TransitionInput(to=EntryStatus.PUBLISHED, valid_years=3),
                today=after,
            )
        with pytest.raises(Conflict) as early:
            await steps.move(
                session,
                REVIEWER,
                ListName.RED,
                entry_id,
                TransitionInput(to=EntryStatus.PUBLISHED),
                today=entry.publicity_until,
            )
        assert early.value.rule == "publicity_running"
        published = await steps.move(
            session,
            REVIEWER,
            ListName.RED,
            entry_id,
            TransitionInput(to=EntryStatus.PUBLISHED, valid_years=1),
            today=after,
        )
    assert published.valid_from == after
    assert published.valid_until == after.replace(year=after.year + 1)


async def test_the_sweep_expires_entries_once(db: Database) -> None:
    await seed(db)
    black = await entry_in(db, ListName.BLACK, EntryStatus.PUBLISHED, 1)
    focus = await entry_in(db, ListName.FOCUS, EntryStatus.LISTED, 2)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, black)
        assert entry.valid_until is not None
        # On its last day the blacklist entry still holds; the focus entry's year is over.
        assert await sweep_lists(session, entry.valid_until) == 1
        late = entry.valid_until + timedelta(days=30)
        assert await sweep_lists(session, late) == 1
    async with db.transaction() as session:
        assert await sweep_lists(session, late) == 0
        for list_name, entry_id in ((ListName.BLACK, black), (ListName.FOCUS, focus)):
            expired = await service.get_entry(session, list_name, entry_id)
            assert expired.status == EntryStatus.REMOVED
            assert expired.removal_reason == "expired"
    assert [change.op for change in await _changes(db, black)] == ["ADD", "DEL"]


async def test_in_force_reads_a_past_moment_as_it_was_known(db: Database) -> None:
    await seed(db)
    before = utcnow()
    # A focus entry has no waiting periods: listed today, in force from today.
    entry_id = await entry_in(db, ListName.FOCUS, EntryStatus.LISTED, 1)
    listed_at = utcnow()
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.FOCUS, entry_id)
        subject_id = entry.subject_id
        await steps.move(
            session,
            REVIEWER,
            ListName.FOCUS,
            entry_id,
            TransitionInput(
                to=EntryStatus.REMOVED, reason="信用修复", removal_reason=RemovalReason.REPAIRED
            ),
        )
    async with db.transaction() as session:
        then = await service.in_force(session, [subject_id], listed_at)
        earlier = await service.in_force(session, [subject_id], before)
        now = await service.in_force(session, [subject_id, 424242], utcnow())
    assert then == {subject_id: {ListName.FOCUS}}
    assert earlier == {}
    assert now == {}
