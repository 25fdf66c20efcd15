"""Queries on list entries, their events and defences, and the records that qualify subjects."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Label, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.lists.models import (
    CLOSED,
    EntryStatus,
    ListEntry,
    ListEntryAttachment,
    ListEntryDefence,
    ListEntryEvent,
)
from credit.policy.lists import ListCriterion
from credit.policy.vocabulary import ListName
from credit.records.models import RECORD_TABLE, REVISION_TABLE, RecordStatus

LOOKUP_CHUNK = 1000  # values per IN (...), well inside both databases' parameter limits
RECORD, REVISION = RECORD_TABLE.c, REVISION_TABLE.c
# Records that stand as decided: not under objection, corrected is the decision as it now reads.
CONFIRMED = (RecordStatus.ACTIVE, RecordStatus.CORRECTED)
STANDING = (RecordStatus.ACTIVE, RecordStatus.CORRECTED, RecordStatus.UNDER_OBJECTION)


def _chunks(values: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        yield ordered[start : start + LOOKUP_CHUNK]


async def get(
    session: AsyncSession, entry_id: int, *, for_update: bool = False
) -> ListEntry | None:
    query = select(ListEntry).where(col(ListEntry.id) == entry_id)
    if for_update:
        # A row this session loaded before must show what the lock waited for.
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


def _open() -> ColumnElement[bool]:
    return col(ListEntry.status).not_in([str(status) for status in CLOSED])


async def open_entry(
    session: AsyncSession, list_name: ListName, subject_id: int
) -> ListEntry | None:
    query = select(ListEntry).where(
        col(ListEntry.list_name) == str(list_name), col(ListEntry.subject_id) == subject_id, _open()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def open_entries(
    session: AsyncSession, list_name: ListName, subject_ids: Collection[int]
) -> list[ListEntry]:
    found: list[ListEntry] = []
    for chunk in _chunks(subject_ids):
        query = select(ListEntry).where(
            col(ListEntry.list_name) == str(list_name),
            col(ListEntry.subject_id).in_(chunk),
            _open(),
        )
        found.extend((await session.execute(query)).scalars().all())
    return found


@dataclass(frozen=True, slots=True)
class EntryFilter:
    status: EntryStatus | None = None
    subject_id: int | None = None
    criterion_code: str | None = None
    automatic: bool | None = None
    disclosed_only: bool = False  # a subject account sees entries it has been told of


async def page(
    session: AsyncSession,
    list_name: ListName,
    filters: EntryFilter,
    *,
    after_id: int | None,
    limit: int,
) -> Sequence[ListEntry]:
    query = select(ListEntry).where(col(ListEntry.list_name) == str(list_name))
    if filters.status is not None:
        query = query.where(col(ListEntry.status) == str(filters.status))
    if filters.subject_id is not None:
        query = query.where(col(ListEntry.subject_id) == filters.subject_id)
    if filters.criterion_code is not None:
        query = query.where(col(ListEntry.criterion_code) == filters.criterion_code)
    if filters.automatic is not None:
        query = query.where(col(ListEntry.automatic) == filters.automatic)
    if filters.disclosed_only:
        query = query.where(col(ListEntry.disclosed_at).is_not(None))
    if after_id is not None:
        query = query.where(col(ListEntry.id) > after_id)
    query = query.order_by(col(ListEntry.id)).limit(limit)
    return (await session.execute(query)).scalars().all()


async def events_of(session: AsyncSession, entry_id: int) -> Sequence[ListEntryEvent]:
    query = (
        select(ListEntryEvent)
        .where(col(ListEntryEvent.entry_id) == entry_id)
        .order_by(col(ListEntryEvent.id))
    )
    return (await session.execute(query)).scalars().all()


async def defences_of(session: AsyncSession, entry_id: int) -> Sequence[ListEntryDefence]:
    query = (
        select(ListEntryDefence)
        .where(col(ListEntryDefence.entry_id) == entry_id)
        .order_by(col(ListEntryDefence.id))
    )
    return (await session.execute(query)).scalars().all()


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: int
    defence_id: int
    file_name: str
    media_type: str
    size: int
    sha256: str


async def attachments_of(session: AsyncSession, entry_id: int) -> list[AttachmentInfo]:
    """What was attached to the entry's defences, without loading the files."""
    query = (
        select(
            col(ListEntryAttachment.id),
            col(ListEntryAttachment.defence_id),
            col(ListEntryAttachment.file_name),
            col(ListEntryAttachment.media_type),
            col(ListEntryAttachment.size),
            col(ListEntryAttachment.sha256),
        )
        .where(col(ListEntryAttachment.entry_id) == entry_id)
        .order_by(col(ListEntryAttachment.id))
    )
    return [
        AttachmentInfo(int(row_id or 0), defence_id, file_name, media_type, size, sha256)
        for row_id, defence_id, file_name, media_type, size, sha256 in (
            await session.execute(query)
        ).all()
    ]


async def attachment(
    session: AsyncSession, entry_id: int, attachment_id: int
) -> ListEntryAttachment | None:
    query = select(ListEntryAttachment).where(
        col(ListEntryAttachment.id) == attachment_id,
        col(ListEntryAttachment.entry_id) == entry_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class Listing:
    """An entry in force at some moment, as it stood then."""

    subject_id: int
    entry_id: int
    list_name: str
    valid_from: date
    valid_until: date


LISTING_COLUMNS: tuple[Label[Any], ...] = (
    col(ListEntry.subject_id).label("subject_id"),
    col(ListEntry.id).label("entry_id"),
    col(ListEntry.list_name).label("list_name"),
    col(ListEntryEvent.valid_from).label("valid_from"),
    col(ListEntryEvent.valid_until).label("valid_until"),
)


async def in_force_at(
    session: AsyncSession, subject_ids: Collection[int], at: datetime, on: date
) -> list[Listing]:
    """Entries whose last event known at `at` left them in force on `on`.

    Event ids grow in the order events are written, so the highest id at or before `at` is the
    entry's state as it was known then.
    """
    found: list[Listing] = []
    for chunk in _chunks(subject_ids):
        latest = (
            select(func.max(ListEntryEvent.id).label("event_id"))
            .join(ListEntry, col(ListEntry.id) == col(ListEntryEvent.entry_id))
            .where(col(ListEntry.subject_id).in_(chunk), col(ListEntryEvent.occurred_at) <= at)
            .group_by(col(ListEntryEvent.entry_id))
            .subquery()
        )
        query = (
            select(*LISTING_COLUMNS)
            .join(ListEntryEvent, col(ListEntryEvent.entry_id) == col(ListEntry.id))
            .join(latest, latest.c.event_id == col(ListEntryEvent.id))
            .where(
                col(ListEntryEvent.to_status).in_(
                    [str(EntryStatus.PUBLISHED), str(EntryStatus.LISTED)]
                ),
                col(ListEntryEvent.valid_from) <= on,
                col(ListEntryEvent.valid_until) >= on,
            )
        )
        # Both validity dates are set: the filter above compared them.
        found.extend(Listing(**row) for row in (await session.execute(query)).mappings())
    return found


async def past_validity(session: AsyncSession, today: date) -> Sequence[ListEntry]:
    """Entries in force whose validity ended before `today`."""
    query = (
        select(ListEntry)
        .where(
            col(ListEntry.status).in_([str(EntryStatus.PUBLISHED), str(EntryStatus.LISTED)]),
            col(ListEntry.valid_until) < today,
        )
        .order_by(col(ListEntry.id))
    )
    return (await session.execute(query)).scalars().all()


@dataclass(frozen=True, slots=True)
class QualifyingRecord:
    record_id: int
    subject_id: int
    item_code: str
    category: str
    amount_involved: Decimal | None
    document_no: str | None
    decided_on: date
    recorded_at: datetime


async def current_records(
    session: AsyncSession,
    subject_ids: Collection[int],
    statuses: Sequence[RecordStatus],
    *,
    negative_only: bool = False,
    favourable: Collection[str] = (),
    meeting: Sequence[ListCriterion] = (),
) -> list[QualifyingRecord]:
    """The current revisions of these subjects' records in the given statuses (only those that
    could meet one of the record-based criteria `meeting`, when given)."""
    found: list[QualifyingRecord] = []
    for chunk in _chunks(subject_ids):
        query = (
            select(
                REVISION.record_id,
                REVISION.subject_id,
                REVISION.item_code,
                REVISION.category,
                REVISION.amount_involved,
                REVISION.document_no,
                REVISION.decided_on,
                RECORD.recorded_at,
            )
            .join(RECORD_TABLE, RECORD.id == REVISION.record_id)
            .where(
                REVISION.known_until.is_(None),
                REVISION.subject_id.in_(chunk),
                REVISION.status.in_([str(status) for status in statuses]),
            )
            .order_by(REVISION.record_id)
        )
        if negative_only:
            query = query.where(and_(REVISION.category.not_in(list(favourable))))
        if meeting:
            query = query.where(or_(*(_could_meet(criterion) for criterion in meeting)))
        found.extend(QualifyingRecord(*row) for row in (await session.execute(query)).all())
    return found


def _could_meet(criterion: ListCriterion) -> ColumnElement[bool]:
    """The criterion's record conditions in SQL, so records that cannot qualify stay unread."""
    conditions: list[ColumnElement[bool]] = []
    if criterion.item_codes:
        conditions.append(REVISION.item_code.in_(list(criterion.item_codes)))
    if criterion.categories:
        conditions.append(REVISION.category.in_([str(c) for c in criterion.categories]))
    if criterion.min_fund_loss is not None:
        conditions.append(REVISION.amount_involved >= criterion.min_fund_loss)
    return and_(*conditions)


async def record_documents(
    session: AsyncSession, record_ids: Collection[int]
) -> list[tuple[int, str, str | None, date]]:
    """(record id, item code, document number, decision date) as each record now reads."""
    found: list[tuple[int, str, str | None, date]] = []
    for chunk in _chunks(record_ids):
        query = (
            select(
                REVISION.record_id, REVISION.item_code, REVISION.document_no, REVISION.decided_on
            )
            .where(REVISION.known_until.is_(None), REVISION.record_id.in_(chunk))
            .order_by(REVISION.record_id)
        )
        found.extend((int(a), b, c, d) for a, b, c, d in (await session.execute(query)).all())
    return found


async def cited_records(
    session: AsyncSession, list_name: ListName, subject_ids: Collection[int]
) -> dict[int, set[int]]:
    """Per subject, the records any entry of the list (open or closed) was based on."""
    cited: dict[int, set[int]] = {}
    for chunk in _chunks(subject_ids):
        query = select(col(ListEntry.subject_id), col(ListEntry.record_ids)).where(
            col(ListEntry.list_name) == str(list_name), col(ListEntry.subject_id).in_(chunk)
        )
        for subject_id, record_ids in (await session.execute(query)).all():
            cited.setdefault(int(subject_id), set()).update(int(value) for value in record_ids)
    return cited


async def record_statuses(session: AsyncSession, record_ids: Collection[int]) -> dict[int, str]:
    """The current status of each of these records."""
    found: dict[int, str] = {}
    for chunk in _chunks(record_ids):
        query = select(REVISION.record_id, REVISION.status).where(
            REVISION.known_until.is_(None), REVISION.record_id.in_(chunk)
        )
        found |= {int(record_id): status for record_id, status in await session.execute(query)}
    return found
