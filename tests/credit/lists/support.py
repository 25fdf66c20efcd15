"""Set-up shared by the list tests: the shipped packs, subjects, and entries walked to a state."""

from __future__ import annotations

from datetime import date, timedelta

from api.db import Database
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today
from credit.lists import service, steps
from credit.lists.models import EntryStatus, ListEntry, RemovalReason
from credit.lists.schemas import ListEntryCreate, TransitionInput
from credit.policy import service as policy
from credit.policy.vocabulary import ListName
from tests.indicators.support import hospital

OFFICER = Actor(role=Role.OFFICER, name="officer-li", account_id=None)
REVIEWER = Actor(role=Role.REVIEWER, name="reviewer-wang")
ADMIN = Actor(role=Role.ADMIN, name="admin-zhao")
CRITERION = {
    ListName.BLACK: "BLK-FRAUD-ART40",
    ListName.FOCUS: "FOC-GRADE",
    ListName.RED: "RED-GRADE-A",
}
# The path of each procedure up to the state in force, then removed.
PATHS = {
    ListName.BLACK: [
        EntryStatus.NOTIFIED,
        EntryStatus.DECIDED,
        EntryStatus.PUBLICITY,
        EntryStatus.PUBLISHED,
        EntryStatus.REMOVED,
    ],
    ListName.FOCUS: [EntryStatus.APPROVED, EntryStatus.LISTED, EntryStatus.REMOVED],
    ListName.RED: [
        EntryStatus.APPROVED,
        EntryStatus.PUBLICITY,
        EntryStatus.PUBLISHED,
        EntryStatus.REMOVED,
    ],
}
ACTOR_FOR = {
    EntryStatus.NOTIFIED: OFFICER,
    EntryStatus.PUBLICITY: OFFICER,
}


async def seed(db: Database) -> None:
    async with db.transaction() as session:
        await policy.ensure_defaults(session)


async def propose(db: Database, list_name: ListName, subject_id: int) -> int:
    async with db.transaction() as session:
        entry = await service.propose(
            session,
            OFFICER,
            list_name,
            ListEntryCreate(
                subject_id=subject_id,
                criterion_code=CRITERION[list_name],
                reasons=["经查实，该机构伪造医疗文书骗取医保基金"],
                documents=["湘医保罚〔2026〕12号"],
            ),
        )
    assert entry.id is not None
    return entry.id


def day_after_periods(entry: ListEntry) -> date:
    """A business day on which no period of the entry is still running."""
    days = [business_today()]
    days += [d + timedelta(days=1) for d in (entry.notice_deadline, entry.publicity_until) if d]
    return max(days)


def step_to(to: EntryStatus) -> TransitionInput:
    return TransitionInput(
        to=to,
        reason="依程序办理",
        removal_reason=RemovalReason.REVOKED if to is EntryStatus.REMOVED else None,
    )


async def advance(db: Database, list_name: ListName, entry_id: int, to: EntryStatus) -> ListEntry:
    async with db.transaction() as session:
        entry = await service.get_entry(session, list_name, entry_id)
        return await steps.move(
            session,
            ACTOR_FOR.get(to, REVIEWER),
            list_name,
            entry_id,
            step_to(to),
            today=day_after_periods(entry),
        )


async def entry_in(db: Database, list_name: ListName, status: EntryStatus, number: int) -> int:
    """A new hospital with an entry on `list_name` walked to `status`."""
    subject_id = await hospital(db, number)
    entry_id = await propose(db, list_name, subject_id)
    for to in PATHS[list_name]:
        if status in (EntryStatus.PROPOSED, EntryStatus.CANDIDATE):
            break
        if status is EntryStatus.DROPPED:
            await advance(db, list_name, entry_id, EntryStatus.DROPPED)
            break
        await advance(db, list_name, entry_id, to)
        if to is status:
            break
    return entry_id


async def published_since(db: Database, list_name: ListName, subject_id: int, started: date) -> int:
    """An entry walked through its whole procedure from `started` (in the past), so it is in
    force today as it would be had the officers acted on those days."""
    entry_id = await propose(db, list_name, subject_id)
    day = started
    for to in PATHS[list_name][:-1]:  # every step but the removal
        async with db.transaction() as session:
            entry = await steps.move(
                session, ACTOR_FOR.get(to, REVIEWER), list_name, entry_id, step_to(to), today=day
            )
        after = [d + timedelta(days=1) for d in (entry.notice_deadline, entry.publicity_until) if d]
        day = max([day, *after])
    assert day <= business_today(), "the walk must end in the past for the entry to be in force"
    return entry_id
