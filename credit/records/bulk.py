"""Writing a chunk of new records through the database driver itself (the ingest's repository).

SQLAlchemy converts every value of every row on its way to the driver; for a million records
that was a third of the import. The columns and their stored forms are few and known, so the
rows are built here as the driver takes them and handed over in one call per chunk: the raw
`sqlite3` executemany (through aiosqlite) or PostgreSQL's binary COPY (asyncpg). The stored
values are exactly those SQLAlchemy would store (dates as ISO text on SQLite, money as integer
fen, `responsible` as `json.dumps` text); values the same for a whole chunk go through
SQLAlchemy's own column types once.

Both run inside the caller's transaction (SQLAlchemy has begun it by the time a chunk is
written: the ingest opens a savepoint first). A duplicate reference raises SQLAlchemy's
`IntegrityError`, as an ORM insert would, so the caller's retry logic holds for both paths.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.records.models import RECORD_TABLE
from credit.records.publication import Window
from credit.records.shape import ParsedRecord
from credit.records.terms import ItemTerms

COLUMNS = (
    "subject_id", "item_code", "pack_version_id", "category", "severity", "occurred_on",
    "decided_on", "document_no", "legal_basis", "amount_involved", "fine_amount", "rule_code",
    "responsible", "published", "publish_from", "publish_until", "source_system", "source_ref",
    "payload_digest", "recorded_at", "recorded_by", "ingest_batch",
)  # fmt: skip
# Built from the constant names above, never from input.
SQLITE_INSERT = (
    f"INSERT INTO {RECORD_TABLE.name} ({', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)
NEXT_IDS = (
    f"SELECT nextval(pg_get_serial_sequence('{RECORD_TABLE.name}', 'id')) "  # noqa: S608
    "FROM generate_series(1, $1)"
)
NOBODY = "[]"


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A checked row: what was sent, the item its decision date's regime defines, its window."""

    row: ParsedRecord
    terms: ItemTerms
    window: Window
    digest: str


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who stored a chunk, when, and in which ingest batch."""

    recorded_at: datetime
    recorded_by: str
    ingest_batch: str


def _responsible(row: ParsedRecord) -> str:
    if not row.responsible:
        return NOBODY
    persons = sorted(row.responsible, key=lambda person: person.subject_id)
    # `json.dumps`, as SQLAlchemy's JSON type writes it: the stored text is the same either way.
    return json.dumps([{"subject_id": p.subject_id, "tier": p.tier.value} for p in persons])


def _fen(amount: Any) -> int | None:
    # Validated amounts have at most two decimal places (`credit.kernel.db.Money`).
    return None if amount is None else int(amount * 100)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _sqlite_rows(
    records: Sequence[NewRecord], stamp: Stamp, recorded_at: Any
) -> list[tuple[Any, ...]]:
    rows = []
    for record in records:
        row, terms, window = record.row, record.terms, record.window
        rows.append(
            (
                row.subject_id,
                terms.code,
                terms.pack_version_id,
                terms.category,
                row.severity.value if row.severity else terms.severity,
                _iso(row.occurred_on),
                row.decided_on.isoformat(),
                row.document_no,
                terms.legal_basis,
                _fen(row.amount_involved),
                _fen(row.fine_amount),
                row.rule_code,
                _responsible(row),
                1 if window.published else 0,
                _iso(window.publish_from),
                _iso(window.publish_until),
                row.source_system,
                row.source_ref,
                record.digest,
                recorded_at,
                stamp.recorded_by,
                stamp.ingest_batch,
            )
        )
    return rows


def _postgres_rows(
    records: Sequence[NewRecord], stamp: Stamp, recorded_at: Any, ids: Sequence[int]
) -> list[tuple[Any, ...]]:
    rows = []
    for record_id, record in zip(ids, records, strict=True):
        row, terms, window = record.row, record.terms, record.window
        rows.append(
            (
                record_id,
                row.subject_id,
                terms.code,
                terms.pack_version_id,
                terms.category,
                row.severity.value if row.severity else terms.severity,
                row.occurred_on,
                row.decided_on,
                row.document_no,
                terms.legal_basis,
                _fen(row.amount_involved),
                _fen(row.fine_amount),
                row.rule_code,
                _responsible(row),
                window.published,
                window.publish_from,
                window.publish_until,
                row.source_system,
                row.source_ref,
                record.digest,
                recorded_at,
                stamp.recorded_by,
                stamp.ingest_batch,
            )
        )
    return rows


def _stored_recorded_at(stamp: Stamp, dialect: Dialect) -> Any:
    """`recorded_at` as SQLAlchemy's column type stores it on this database."""
    processor = RECORD_TABLE.c.recorded_at.type.bind_processor(dialect)
    return processor(stamp.recorded_at) if processor else stamp.recorded_at


async def _driver(session: AsyncSession) -> Any:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def insert_records(
    session: AsyncSession, records: Sequence[NewRecord], stamp: Stamp
) -> tuple[int, int]:
    """Insert `records` in their order; the first and last id they got (ids are consecutive on
    SQLite, increasing on PostgreSQL; other sessions' records may sit between them there)."""
    driver = await _driver(session)
    dialect = session.get_bind().dialect
    recorded_at = _stored_recorded_at(stamp, dialect)
    if dialect.name == "postgresql":
        return await _copy_into_postgres(driver, records, stamp, recorded_at)
    rows = _sqlite_rows(records, stamp, recorded_at)
    try:
        cursor = await driver.executemany(SQLITE_INSERT, rows)
    except sqlite3.IntegrityError as error:
        raise IntegrityError(SQLITE_INSERT, None, error) from error
    await cursor.close()
    # SQLite gives a rowid table's new rows the ids after the largest, and the transaction holds
    # the only write lock, so the chunk's ids are consecutive and end at the last one inserted.
    cursor = await driver.execute("SELECT last_insert_rowid()")
    (last,) = await cursor.fetchone()
    await cursor.close()
    return int(last) - len(rows) + 1, int(last)


async def _copy_into_postgres(
    driver: Any, records: Sequence[NewRecord], stamp: Stamp, recorded_at: Any
) -> tuple[int, int]:
    import asyncpg

    # COPY takes no RETURNING, so the ids are drawn from the table's own sequence first.
    ids = [int(found[0]) for found in await driver.fetch(NEXT_IDS, len(records))]
    rows = _postgres_rows(records, stamp, recorded_at, ids)
    try:
        await driver.copy_records_to_table(
            RECORD_TABLE.name, records=rows, columns=("id", *COLUMNS)
        )
    except asyncpg.IntegrityConstraintViolationError as error:
        raise IntegrityError("COPY credit_record", None, error) from error
    return ids[0], ids[-1]
