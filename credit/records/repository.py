"""Queries on credit records and their revisions; bulk writes are Core statements, not ORM rows."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from credit.kernel.actor import Actor
from credit.kernel.db import ID_MAX, IdType, UTCDateTime
from credit.policy.models import ACTIVATED, PackVersion
from credit.records.models import (
    RECORD_TABLE,
    REVISION_TABLE,
    CreditRecord,
    RecordFacts,
    RecordRevision,
    RecordStatus,
)
from credit.subjects import repository as subjects

RECORD = RECORD_TABLE.c
REVISION = REVISION_TABLE.c
FACT_COLUMNS = tuple(RecordFacts.model_fields)
# The columns an INSERT … SELECT of revisions fills, in the order its SELECT lists them.
REVISION_COLUMNS = [
    "record_id",
    "revision",
    "status",
    "changes",
    "reason",
    "actor",
    "actor_role",
    "account_id",
    "known_from",
    *FACT_COLUMNS,
]
LOOKUP_CHUNK = 1000  # values per IN (...), well inside both databases' parameter limits
T = TypeVar("T")
# Arbitrary constant naming the PostgreSQL advisory lock that queues bulk imports.
_IMPORT_LOCK_KEY = 7_319_410_25


async def lock_imports(session: AsyncSession) -> None:
    """Queue bulk imports one behind the other until each commits.

    Two imports of overlapping files, each holding its new references, live scores and list
    candidates until it commits, would wait for each other's rows in opposite orders (a deadlock,
    one import lost). Queued, the second finds the first's references stored: `unchanged`.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK_KEY})


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def known_at(as_of: datetime | None) -> ColumnElement[bool]:
    """The revision that was current at `as_of` (the current one when None)."""
    if as_of is None:
        return REVISION.known_until.is_(None)
    return (REVISION.known_from <= as_of) & (
        REVISION.known_until.is_(None) | (REVISION.known_until > as_of)
    )


async def subject_kinds(session: AsyncSession, subject_ids: Collection[int]) -> dict[int, str]:
    """The kind of each of these subjects that exists."""
    valid = sorted(subject_id for subject_id in subject_ids if 1 <= subject_id <= ID_MAX)
    kinds: dict[int, str] = {}
    for chunk in _chunks(valid):
        kinds |= await subjects.kinds_of(session, chunk)
    return kinds


async def stored_refs(
    session: AsyncSession, source_system: str, source_refs: Collection[str]
) -> dict[str, tuple[int, str]]:
    """`{source_ref: (record id, payload digest)}` for the references already stored."""
    found: dict[str, tuple[int, str]] = {}
    if not source_refs:
        return found
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter, not `IN (1,000 parameters)`: PostgreSQL switches a prepared
        # statement to a generic plan after five runs, and for an IN list on a young table that
        # plan scanned the whole table per chunk. `= ANY(array)` keeps the index in either plan.
        chunks: Iterator[Sequence[str]] = iter([sorted(source_refs)])
        matches = RECORD.source_ref == any_(bindparam("refs", type_=postgresql.ARRAY(String)))
    else:
        chunks = _chunks(sorted(source_refs))
        matches = RECORD.source_ref.in_(bindparam("refs", expanding=True))
    query = select(RECORD.source_ref, RECORD.id, RECORD.payload_digest).where(
        RECORD.source_system == source_system, matches
    )
    for chunk in chunks:
        for ref, record_id, digest in (await session.execute(query, {"refs": list(chunk)})).all():
            found[ref] = (int(record_id), digest)
    return found


async def approved_versions(session: AsyncSession, code: str) -> Sequence[PackVersion]:
    """Every approved version of a policy pack, for choosing the regime of many dates at once."""
    query = select(PackVersion).where(
        col(PackVersion.code) == code,
        col(PackVersion.status).in_([str(status) for status in ACTIVATED]),
    )
    return (await session.execute(query)).scalars().all()


async def open_first_revisions(
    session: AsyncSession,
    ingest_batch: str,
    id_range: tuple[int, int],
    *,
    status: RecordStatus,
    actor: Actor,
    reason: str,
) -> int:
    """Revision 1 of the records of `ingest_batch` with ids in `id_range` (both ends included),
    copied inside the database in one statement."""
    query = select(
        RECORD.id,
        literal(1, Integer),
        literal(str(status), String),
        literal({}, JSON),
        literal(reason, String),
        literal(actor.name, String),
        literal(str(actor.role), String),
        literal(actor.account_id, IdType),
        RECORD.recorded_at,
        *(RECORD[name] for name in FACT_COLUMNS),
    ).where(RECORD.id.between(*id_range), RECORD.ingest_batch == ingest_batch)
    result = await session.execute(insert(REVISION_TABLE).from_select(REVISION_COLUMNS, query))
    return int(getattr(result, "rowcount", 0) or 0)


async def record_by_id(session: AsyncSession, record_id: int) -> CreditRecord | None:
    if not 1 <= record_id <= ID_MAX:
        return None
    return await session.get(CreditRecord, record_id)


async def record_by_ref(
    session: AsyncSession, source_system: str, source_ref: str
) -> CreditRecord | None:
    query = select(CreditRecord).where(
        RECORD.source_system == source_system, RECORD.source_ref == source_ref
    )
    return (await session.execute(query)).scalar_one_or_none()


async def current_revision(
    session: AsyncSession, record_id: int, *, for_update: bool = False
) -> RecordRevision | None:
    """The open revision of a record; locked until the transaction ends when `for_update`."""
    if not 1 <= record_id <= ID_MAX:
        return None
    query = select(RecordRevision).where(REVISION.record_id == record_id, known_at(None))
    if for_update:
        # A revision this session loaded before must show what the lock waited for.
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def revision_as_of(
    session: AsyncSession, record_id: int, as_of: datetime | None
) -> RecordRevision | None:
    if not 1 <= record_id <= ID_MAX:
        return None
    query = select(RecordRevision).where(REVISION.record_id == record_id, known_at(as_of))
    return (await session.execute(query)).scalar_one_or_none()


async def revision_number(
    session: AsyncSession, record_id: int, revision: int
) -> RecordRevision | None:
    query = select(RecordRevision).where(
        REVISION.record_id == record_id, REVISION.revision == revision
    )
    return (await session.execute(query)).scalar_one_or_none()


async def revisions(
    session: AsyncSession, record_id: int, as_of: datetime | None
) -> Sequence[RecordRevision]:
    """Every revision known at `as_of` (all of them when None), oldest first."""
    query = select(RecordRevision).where(REVISION.record_id == record_id)
    if as_of is not None:
        query = query.where(REVISION.known_from <= as_of)
    return (await session.execute(query.order_by(REVISION.revision))).scalars().all()


async def close_revisions(
    session: AsyncSession, revision_ids: Sequence[int], at: datetime
) -> list[int]:
    """Close these revisions at `at`; the ids actually closed (a closed one stays as it was)."""
    closed: list[int] = []
    for chunk in _chunks(revision_ids):
        statement = (
            sql_update(REVISION_TABLE)
            .where(REVISION.id.in_(chunk), REVISION.known_until.is_(None))
            .values(known_until=at)
            .returning(REVISION.id)
        )
        closed += [int(row_id) for row_id in (await session.execute(statement)).scalars()]
    # Keep loaded revisions truthful without another round trip.
    for revision in session.identity_map.values():
        if isinstance(revision, RecordRevision) and revision.id in closed:
            set_committed_value(revision, "known_until", at)
    return closed


async def copy_as_next_revisions(
    session: AsyncSession,
    revision_ids: Sequence[int],
    *,
    status: RecordStatus,
    changes: dict[str, Any],
    reason: str,
    actor: Actor,
    known_from: datetime,
) -> list[int]:
    """For each of these (just closed) revisions, the next one with the same facts and `status`;
    the ids of the records concerned."""
    record_ids: list[int] = []
    for chunk in _chunks(revision_ids):
        query = select(
            REVISION.record_id,
            REVISION.revision + 1,
            literal(str(status), String),
            literal(changes, JSON),
            literal(reason, String),
            literal(actor.name, String),
            literal(str(actor.role), String),
            literal(actor.account_id, IdType),
            literal(known_from, UTCDateTime),
            *(REVISION[name] for name in FACT_COLUMNS),
        ).where(REVISION.id.in_(chunk))
        await session.execute(insert(REVISION_TABLE).from_select(REVISION_COLUMNS, query))
        found = select(REVISION.record_id).where(REVISION.id.in_(chunk))
        record_ids += [int(row_id) for row_id in (await session.execute(found)).scalars()]
    return record_ids


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Credit-file criteria; each applies to the revision read (current or as of)."""

    category: str | None = None
    severity: str | None = None
    status: str | None = None
    decided_from: date | None = None
    decided_to: date | None = None


def _file_conditions(criteria: RecordFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for name in ("category", "severity", "status"):
        value = getattr(criteria, name)
        if value is not None:
            conditions.append(REVISION[name] == value)
    if criteria.decided_from is not None:
        conditions.append(REVISION.decided_on >= criteria.decided_from)
    if criteria.decided_to is not None:
        conditions.append(REVISION.decided_on <= criteria.decided_to)
    return conditions


async def file_of(
    session: AsyncSession,
    subject_id: int,
    criteria: RecordFilter,
    *,
    as_of: datetime | None,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[CreditRecord, RecordRevision]]:
    """A subject's records as known at `as_of`, newest record first, below `before_id`."""
    query = (
        select(CreditRecord, RecordRevision)
        .join(RecordRevision, REVISION.record_id == RECORD.id)
        .where(REVISION.subject_id == subject_id, known_at(as_of), *_file_conditions(criteria))
        .order_by(REVISION.record_id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(REVISION.record_id < before_id)
    return [(record, revision) for record, revision in (await session.execute(query)).all()]


async def first_ids(session: AsyncSession, query: Select[Any], limit: int) -> list[int]:
    """The first `limit` ids a query of ids selects."""
    rows = (await session.execute(query.limit(limit))).all()
    return [int(row[0]) for row in rows]


def past_window(today: date, status: RecordStatus) -> Select[Any]:
    """Current revisions in `status` whose publication window ended before `today`."""
    return (
        select(REVISION.id)
        .where(
            known_at(None),
            REVISION.status == str(status),
            REVISION.publish_until.is_not(None),
            REVISION.publish_until < today,
        )
        .order_by(REVISION.id)
    )
