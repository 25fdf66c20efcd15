"""Propose list entries (by hand or automatically), read them, and what is in force when.

The procedure steps are in `credit.lists.steps`, the defence in `credit.lists.defence`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.kernel.actor import SYSTEM_ACTOR, Actor, Role
from credit.kernel.clock import business_date, utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.kernel.pagination import Page, check_limit, decode_cursor, encode_cursor
from credit.lists import repository, workflow
from credit.lists.models import ListEntry
from credit.lists.repository import EntryFilter, Listing
from credit.lists.schemas import ListEntryCreate
from credit.policy.regime import national_rules
from credit.policy.vocabulary import ListName
from credit.records.models import CreditRecord
from credit.subjects.models import Subject
from credit.subjects.service import get_subject


async def get_entry(session: AsyncSession, list_name: ListName, entry_id: int) -> ListEntry:
    entry = await repository.get(session, entry_id)
    if entry is None or entry.list_name != list_name:
        raise NotFound(
            f"{list_name} list entry {entry_id} does not exist", field="entry_id", rule="exists"
        )
    return entry


def ensure_can_read(actor: Actor, entry: ListEntry) -> None:
    """Regulators read every entry; a subject reads its own once it has been told of it; anyone
    else learns nothing, not even that the entry exists."""
    if actor.is_regulator or actor.role is Role.SYSTEM:
        return
    if actor.role is Role.SUBJECT and actor.subject_id == entry.subject_id and entry.disclosed_at:
        return
    raise NotFound(
        f"{entry.list_name} list entry {entry.id} does not exist", field="entry_id", rule="exists"
    )


async def readable_entry(
    session: AsyncSession, actor: Actor, list_name: ListName, entry_id: int
) -> ListEntry:
    entry = await get_entry(session, list_name, entry_id)
    ensure_can_read(actor, entry)
    return entry


async def entries(
    session: AsyncSession,
    actor: Actor,
    list_name: ListName,
    filters: EntryFilter,
    *,
    cursor: str | None,
    limit: int,
) -> Page[ListEntry]:
    """A page of a list's entries in id order; a subject account sees only its own."""
    if actor.role is Role.SUBJECT:
        if filters.subject_id not in (None, actor.subject_id):
            return Page(items=[], next_cursor=None)
        filters = EntryFilter(
            status=filters.status,
            subject_id=actor.subject_id or -1,
            criterion_code=filters.criterion_code,
            automatic=filters.automatic,
            disclosed_only=True,
        )
    elif not actor.is_regulator:
        raise NotFound("no such list", field="list", rule="exists")
    limit = check_limit(limit)
    rows = list(
        await repository.page(
            session, list_name, filters, after_id=decode_cursor(cursor), limit=limit + 1
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].id if more and rows else None
    return Page(items=rows, next_cursor=encode_cursor(last) if last is not None else None)


async def subjects_of(session: AsyncSession, entries: Sequence[ListEntry]) -> dict[int, Subject]:
    ids = sorted({entry.subject_id for entry in entries})
    if not ids:
        return {}
    rows = (await session.execute(select(Subject).where(col(Subject.id).in_(ids)))).scalars()
    return {subject.id: subject for subject in rows if subject.id is not None}


async def _check_records(session: AsyncSession, subject_id: int, record_ids: list[int]) -> None:
    if not record_ids:
        return
    query = select(col(CreditRecord.id)).where(
        col(CreditRecord.id).in_(record_ids), col(CreditRecord.subject_id) == subject_id
    )
    found = set((await session.execute(query)).scalars())
    missing = sorted(set(record_ids) - found)
    if missing:
        raise InvalidInput(
            f"records {', '.join(map(str, missing))} are not records of subject {subject_id}",
            field="record_ids",
            rule="subject_records",
        )


async def _create(
    session: AsyncSession,
    actor: Actor,
    list_name: ListName,
    data: ListEntryCreate,
    *,
    automatic: bool,
) -> ListEntry:
    subject = await get_subject(session, data.subject_id)
    national = await national_rules(session)
    rules = national.pack.lists.of(list_name)
    if not rules.takes(subject.kind):
        raise InvalidInput(
            f"the {list_name} list does not take subjects of kind {subject.kind}; it takes "
            f"{', '.join(rules.subject_kinds or [])}",
            field="subject_id",
            rule="list_subject_kind",
        )
    criterion = rules.criterion(data.criterion_code)
    if criterion is None:
        codes = ", ".join(criterion.code for criterion in rules.criteria)
        raise InvalidInput(
            f"{data.criterion_code} is not a criterion of the {list_name} list; known: {codes}",
            field="criterion_code",
            rule="known_criterion",
        )
    await _check_records(session, data.subject_id, data.record_ids)
    existing = await repository.open_entry(session, list_name, data.subject_id)
    if existing is not None:
        raise _already_open(list_name, data.subject_id, existing)
    now = utcnow()
    entry = ListEntry(
        list_name=str(list_name),
        subject_id=data.subject_id,
        status=str(workflow.INITIAL[list_name]),
        criterion_code=criterion.code,
        reasons=list(data.reasons),
        legal_basis=data.legal_basis or criterion.legal_basis,
        record_ids=sorted(data.record_ids),
        pack_version_id=national.version_id,
        automatic=automatic,
        proposed_by=actor.name,
        proposed_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        # Another transaction opened an entry for the subject between the check and the insert.
        raise _already_open(list_name, data.subject_id, None) from None
    await workflow.record_event(
        session,
        actor,
        entry,
        None,
        reason=data.reason,
        documents=data.documents,
        action="proposed",
    )
    return entry


def _already_open(list_name: ListName, subject_id: int, existing: ListEntry | None) -> Conflict:
    return Conflict(
        f"subject {subject_id} already has an open {list_name} list entry"
        + (f" ({existing.id}, {existing.status})" if existing else ""),
        field="subject_id",
        rule="one_open_entry",
        extra={"existing_id": existing.id if existing else None},
    )


async def propose(
    session: AsyncSession, actor: Actor, list_name: ListName, data: ListEntryCreate
) -> ListEntry:
    """An officer proposes an entry under one of the list's criteria."""
    return await _create(session, actor, list_name, data, automatic=False)


async def propose_automatic(
    session: AsyncSession,
    subject_id: int,
    list_name: ListName,
    criterion_code: str,
    reason: str,
    *,
    record_ids: Collection[int] = (),
) -> ListEntry | None:
    """A candidate found by a criterion; None when the subject already has an open entry on the
    list or the list does not take its kind. The candidate then follows the whole procedure."""
    if await repository.open_entry(session, list_name, subject_id) is not None:
        return None
    subject = await get_subject(session, subject_id)
    rules = (await national_rules(session)).pack.lists.of(list_name)
    if not rules.takes(subject.kind):
        return None
    data = ListEntryCreate(
        subject_id=subject_id,
        criterion_code=criterion_code,
        reasons=[reason],
        record_ids=sorted(record_ids),
        reason="found automatically by the pack's criteria",
    )
    try:
        return await _create(session, SYSTEM_ACTOR, list_name, data, automatic=True)
    except Conflict:
        return None


async def listings(
    session: AsyncSession, subject_ids: Collection[int], at: datetime
) -> dict[int, list[Listing]]:
    """The entries each subject had in force at `at`, as known at `at` (read from the event
    history, so asking again later gives the same answer). Subjects on no list are left out."""
    found: dict[int, list[Listing]] = {}
    for listing in await repository.in_force_at(session, subject_ids, at, business_date(at)):
        found.setdefault(listing.subject_id, []).append(listing)
    return found


async def in_force(
    session: AsyncSession, subject_ids: Collection[int], at: datetime
) -> dict[int, set[ListName]]:
    """The lists each subject was on at `at`, as known at `at`. Subjects on no list are left out."""
    return {
        subject_id: {ListName(listing.list_name) for listing in entries}
        for subject_id, entries in (await listings(session, subject_ids, at)).items()
    }
