"""Automatic candidates from records, idempotent proposals, and red entries a new negative record
ends — all in the transaction that changed the records."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from api.db import Database
from credit.changelog.models import ChangeLogEntry
from credit.lists import repository, service
from credit.lists.models import EntryStatus, ListEntry
from credit.policy.vocabulary import ListName
from credit.records import service as records
from tests.credit.lists.support import entry_in, seed
from tests.indicators.support import OFFICER, add_record, hospital


async def _entries(db: Database, list_name: ListName, subject_id: int) -> list[ListEntry]:
    async with db.transaction() as session:
        query = select(ListEntry).where(
            col(ListEntry.list_name) == str(list_name), col(ListEntry.subject_id) == subject_id
        )
        return list((await session.execute(query)).scalars())


async def test_a_confirmed_fraud_record_proposes_a_blacklist_candidate_once(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(
        db,
        subject_id,
        "ENF-40-FALSE-DOCUMENTS",
        "2026-03-02",
        "r1",
        document_no="湘医保罚〔2026〕7号",
    )
    (entry,) = await _entries(db, ListName.BLACK, subject_id)
    assert entry.status == EntryStatus.PROPOSED
    assert entry.automatic
    assert entry.criterion_code == "BLK-FRAUD-ART40"
    assert entry.record_ids == [record_id]
    assert "湘医保罚〔2026〕7号" in entry.reasons[0]
    assert "第四十条" in entry.legal_basis
    # Another record of the subject: the open entry is not duplicated.
    await add_record(db, subject_id, "ENF-40-FORGE-RECORDS", "2026-03-05", "r2")
    assert len(await _entries(db, ListName.BLACK, subject_id)) == 1


async def test_fund_loss_over_the_threshold_and_a_criminal_referral_qualify(db: Database) -> None:
    await seed(db)
    small, large, referred = [await hospital(db, n) for n in (1, 2, 3)]
    await add_record(
        db, small, "ENF-38-SPLIT-ADMISSION", "2026-03-02", "s", amount_involved="499999.99"
    )
    await add_record(
        db, large, "ENF-38-SPLIT-ADMISSION", "2026-03-02", "l", amount_involved="500000"
    )
    await add_record(db, referred, "CRM-REFERRAL", "2026-03-02", "c")
    found = {}
    async with db.transaction() as session:
        for entry in (await session.execute(select(ListEntry))).scalars():
            if entry.list_name == ListName.BLACK:
                found[entry.subject_id] = entry.criterion_code
    assert sorted(found.values()) == ["BLK-CRIMINAL-REFERRAL", "BLK-FUND-LOSS"]


async def test_propose_automatic_is_idempotent(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    async with db.transaction() as session:
        first = await service.propose_automatic(
            session, subject_id, ListName.FOCUS, "FOC-GRADE", "2026年度评价等级为D级"
        )
        again = await service.propose_automatic(
            session, subject_id, ListName.FOCUS, "FOC-GRADE", "2026年度评价等级为D级"
        )
    assert first is not None
    assert first.status == EntryStatus.PROPOSED
    assert first.proposed_by == "system"
    assert again is None
    assert len(await _entries(db, ListName.FOCUS, subject_id)) == 1


async def test_a_new_negative_record_ends_red_entries(db: Database) -> None:
    await seed(db)
    published = await entry_in(db, ListName.RED, EntryStatus.PUBLISHED, 1)
    approved = await entry_in(db, ListName.RED, EntryStatus.APPROVED, 2)
    async with db.transaction() as session:
        subjects = {
            entry_id: (await service.get_entry(session, ListName.RED, entry_id)).subject_id
            for entry_id in (published, approved)
        }
    # A favourable record changes nothing.
    await add_record(db, subjects[published], "POS-COMMENDATION", "2026-03-02", "p")
    async with db.transaction() as session:
        still = await service.get_entry(session, ListName.RED, published)
    assert still.status == EntryStatus.PUBLISHED
    for entry_id, subject_id in subjects.items():
        await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", "2026-03-02", f"n{entry_id}")
    async with db.transaction() as session:
        removed = await service.get_entry(session, ListName.RED, published)
        dropped = await service.get_entry(session, ListName.RED, approved)
        events = await repository.events_of(session, published)
        changes = list(
            (
                await session.execute(
                    select(ChangeLogEntry)
                    .where(col(ChangeLogEntry.entity_id) == published)
                    .order_by(col(ChangeLogEntry.seq))
                )
            ).scalars()
        )
    assert removed.status == EntryStatus.REMOVED
    assert removed.removal_reason == "revoked"
    assert events[-1].actor == "system"
    assert "ENF-38-SPLIT-ADMISSION" in (events[-1].reason or "")
    assert dropped.status == EntryStatus.DROPPED
    assert [change.op for change in changes] == ["ADD", "DEL"]
    assert changes[-1].body["removal_reason"] == "revoked"


async def test_an_entry_ends_when_its_records_are_revoked(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(db, subject_id, "ENF-40-FALSE-DOCUMENTS", "2026-03-02", "r1")
    async with db.transaction() as session:
        await records.revoke(session, OFFICER, record_id, "异议成立，撤销处罚决定")
    (entry,) = await _entries(db, ListName.BLACK, subject_id)
    assert entry.status == EntryStatus.DROPPED
    async with db.transaction() as session:
        events = await repository.events_of(session, entry.id or 0)
    assert "revoked" in (events[-1].reason or "")
