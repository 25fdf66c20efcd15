"""Every move of every list's procedure: allowed ones succeed, the rest are 409; four-eyes."""

from __future__ import annotations

import pytest

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import Conflict, Forbidden, InvalidInput
from credit.lists import repository, service, steps, workflow
from credit.lists.models import EntryStatus, ListEntryEvent
from credit.lists.schemas import ListEntryCreate, TransitionInput
from credit.policy.vocabulary import ListName
from credit.subjects import service as subjects
from credit.subjects.models import SubjectCreate
from credit.subjects.pii import PersonalIdentifiers
from tests.credit.lists.support import (
    ADMIN,
    OFFICER,
    REVIEWER,
    advance,
    day_after_periods,
    entry_in,
    propose,
    seed,
    step_to,
)
from tests.indicators.support import hospital


@pytest.mark.parametrize("list_name", list(ListName))
async def test_each_move_is_allowed_or_refused_by_the_lists_table(
    db: Database, list_name: ListName
) -> None:
    await seed(db)
    table = workflow.PROCEDURES[list_name]
    for number, status in enumerate(sorted(workflow.STATUSES[list_name]), start=1):
        entry_id = await entry_in(db, list_name, status, number)
        for target in EntryStatus:
            # Each attempt in a transaction that is rolled back, so the next starts from `status`.
            async with db.sessionmaker() as session:
                entry = await service.get_entry(session, list_name, entry_id)
                assert entry.status == status
                today = day_after_periods(entry)
                if table.allows(status, target):
                    moved = await steps.move(
                        session, ADMIN, list_name, entry_id, step_to(target), today=today
                    )
                    assert moved.status == target
                else:
                    with pytest.raises(Conflict) as refused:
                        await steps.move(
                            session, ADMIN, list_name, entry_id, step_to(target), today=today
                        )
                    assert refused.value.rule == "transition"
                    assert refused.value.extra["current_status"] == status
                await session.rollback()


async def test_the_procedures_differ_by_list() -> None:
    assert workflow.STATUSES[ListName.BLACK] >= {EntryStatus.NOTIFIED, EntryStatus.DECIDED}
    assert EntryStatus.NOTIFIED not in workflow.STATUSES[ListName.FOCUS]
    assert EntryStatus.PUBLICITY not in workflow.STATUSES[ListName.FOCUS]
    assert EntryStatus.CANDIDATE in workflow.STATUSES[ListName.RED]
    assert EntryStatus.LISTED not in workflow.STATUSES[ListName.RED]


@pytest.mark.parametrize("list_name", list(ListName))
async def test_the_proposer_cannot_take_the_decision(db: Database, list_name: ListName) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    async with db.transaction() as session:
        entry = await service.propose(
            session,
            ADMIN,
            list_name,
            ListEntryCreate(
                subject_id=subject_id,
                criterion_code={"black": "BLK-FUND-LOSS", "focus": "FOC-POINTS"}.get(
                    list_name, "RED-GRADE-A"
                ),
                reasons=["理由"],
            ),
        )
    assert entry.id is not None
    if list_name is ListName.BLACK:
        await advance(db, list_name, entry.id, EntryStatus.NOTIFIED)
    decision = workflow.DECISION[list_name]
    async with db.transaction() as session:
        current = await service.get_entry(session, list_name, entry.id)
        with pytest.raises(Forbidden) as refused:
            await steps.move(
                session,
                ADMIN,
                list_name,
                entry.id,
                step_to(decision),
                today=day_after_periods(current),
            )
    assert refused.value.rule == "four_eyes"
    async with db.transaction() as session:
        current = await service.get_entry(session, list_name, entry.id)
        assert current.status != decision
        decided = await steps.move(
            session,
            REVIEWER,
            list_name,
            entry.id,
            step_to(decision),
            today=day_after_periods(current),
        )
    assert decided.decided_by == REVIEWER.name


async def test_an_officer_may_not_decide_and_a_subject_kind_outside_the_list_is_refused(
    db: Database,
) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 1)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, entry_id)
        with pytest.raises(Forbidden) as refused:
            await steps.move(
                session,
                OFFICER,
                ListName.BLACK,
                entry_id,
                step_to(EntryStatus.DECIDED),
                today=day_after_periods(entry),
            )
    assert refused.value.rule == "role"
    async with db.transaction() as session:
        person = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(kind="insured_person", name="张三", resident_id="11010519491231002X"),
            pii=PersonalIdentifiers("test-secret-key-that-is-long-enough"),
        )
    assert person.id is not None
    with pytest.raises(InvalidInput) as wrong_kind:
        await propose(db, ListName.RED, person.id)
    assert wrong_kind.value.rule == "list_subject_kind"
    async with db.transaction() as session:
        # The blacklist takes insured persons (Art. 41 fraud).
        assert await service.propose_automatic(
            session, person.id, ListName.BLACK, "BLK-FRAUD-ART40", "骗保"
        )


async def test_one_open_entry_per_subject_and_list_and_events_record_every_step(
    db: Database,
) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.PUBLISHED, 1)
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, entry_id)
        with pytest.raises(Conflict) as twice:
            await propose(db, ListName.BLACK, entry.subject_id)
    assert twice.value.rule == "one_open_entry"
    assert twice.value.extra["existing_id"] == entry_id
    async with db.transaction() as session:
        events: list[ListEntryEvent] = list(await repository.events_of(session, entry_id))
    assert [event.to_status for event in events] == [
        "proposed",
        "notified",
        "decided",
        "publicity",
        "published",
    ]
    assert events[0].documents == ["湘医保罚〔2026〕12号"]
    assert events[1].actor == OFFICER.name
    assert events[-1].valid_until is not None
    assert entry.valid_until is not None
    assert entry.decided_on is not None
    assert entry.valid_until.year == entry.decided_on.year + 3
    with pytest.raises(InvalidInput):
        async with db.transaction() as session:
            await steps.move(
                session,
                REVIEWER,
                ListName.BLACK,
                entry_id,
                TransitionInput(to=EntryStatus.REMOVED, reason="复核撤销"),
            )
