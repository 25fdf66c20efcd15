"""Read records as they stand or as they were known at any past moment (`as_of`).

A record is known from its recorded-at; each read picks the revision that was current at `as_of`,
so a read repeated later with the same `as_of` answers the same, and a record recorded after
`as_of` does not exist for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor, Role
from credit.kernel.clock import BUSINESS_TZ, business_date
from credit.kernel.errors import NotFound
from credit.kernel.pagination import Page, check_limit, decode_cursor, encode_cursor
from credit.records import repository
from credit.records.models import CreditRecord, RecordRevision
from credit.records.repository import RecordFilter
from credit.subjects.service import get_subject


@dataclass(frozen=True, slots=True)
class RecordState:
    """A record and the revision read (current, or current at `as_of`)."""

    record: CreditRecord
    revision: RecordRevision

    @property
    def id(self) -> int:
        assert self.record.id is not None
        return self.record.id


def instant(as_of: datetime | None) -> datetime | None:
    """`as_of` as an aware instant; a time without offset is read as Asia/Shanghai time."""
    if as_of is None or as_of.tzinfo is not None:
        return as_of
    return as_of.replace(tzinfo=BUSINESS_TZ)


def business_day_of(as_of: datetime | None) -> date | None:
    """The business date publication is judged on for a read `as_of` (None: today)."""
    moment = instant(as_of)
    return business_date(moment) if moment is not None else None


def _missing(record_id: int) -> NotFound:
    return NotFound(f"record {record_id} does not exist", field="record_id", rule="exists")


def may_read_subject(actor: Actor, subject_id: int) -> bool:
    """Regulators read every credit file; a subject account reads its own only."""
    if actor.is_regulator or actor.role is Role.SYSTEM:
        return True
    return actor.role is Role.SUBJECT and actor.subject_id == subject_id


async def get_record(
    session: AsyncSession, record_id: int, *, as_of: datetime | None = None
) -> RecordState:
    """The record as known at `as_of` (now when None); NotFound if it was not known then."""
    record = await repository.record_by_id(session, record_id)
    revision = await repository.revision_as_of(session, record_id, instant(as_of))
    if record is None or revision is None:
        raise _missing(record_id)
    return RecordState(record, revision)


async def readable_record(
    session: AsyncSession, actor: Actor, record_id: int, *, as_of: datetime | None = None
) -> RecordState:
    """The record if `actor` may read it; the same NotFound for missing and not visible."""
    state = await get_record(session, record_id, as_of=as_of)
    if not may_read_subject(actor, state.record.subject_id):
        raise _missing(record_id)
    return state


async def history(
    session: AsyncSession, actor: Actor, record_id: int, *, as_of: datetime | None = None
) -> list[RecordRevision]:
    """Every revision of a record known at `as_of`, oldest first, if `actor` may read it."""
    state = await readable_record(session, actor, record_id, as_of=as_of)
    return list(await repository.revisions(session, state.id, instant(as_of)))


async def records_of(
    session: AsyncSession,
    subject_id: int,
    filters: RecordFilter | None = None,
    *,
    as_of: datetime | None = None,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[RecordState]:
    """A subject's records as known at `as_of`, newest first; all of them unless `limit`."""
    rows = await repository.file_of(
        session,
        subject_id,
        filters or RecordFilter(),
        as_of=instant(as_of),
        before_id=before_id,
        limit=limit,
    )
    return [RecordState(record, revision) for record, revision in rows]


async def credit_file(
    session: AsyncSession,
    actor: Actor,
    subject_id: int,
    filters: RecordFilter,
    *,
    as_of: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[RecordState]:
    """One page of a subject's credit file for `actor`; another subject's file is NotFound."""
    if not may_read_subject(actor, subject_id):
        raise NotFound(f"subject {subject_id} does not exist", field="subject_id", rule="exists")
    await get_subject(session, subject_id)
    limit = check_limit(limit)
    states = await records_of(
        session, subject_id, filters, as_of=as_of, before_id=decode_cursor(cursor), limit=limit
    )
    next_cursor = encode_cursor(states[-1].id) if len(states) == limit else None
    return Page(items=states, next_cursor=next_cursor)
