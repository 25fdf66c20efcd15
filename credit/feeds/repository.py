"""Queries of the partner feed: snapshot checksums, subjects by identifier or name, listings."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.changelog.models import ChangeLogEntry
from credit.feeds.models import FeedSnapshot
from credit.kernel.statements import Row, Statements, among, first
from credit.lists.models import ListEntry
from credit.records.models import REVISION_TABLE
from credit.subjects.models import NAME_GRAM_TABLE, SUBJECT_TABLE

ENTRY_TABLE = ListEntry.__table__  # type: ignore[attr-defined]
SUBJECT, GRAM, REVISION = SUBJECT_TABLE.c, NAME_GRAM_TABLE.c, REVISION_TABLE.c
ENTRY = ENTRY_TABLE.c
LOG = ChangeLogEntry.__table__.c  # type: ignore[attr-defined]


async def stored_snapshot(
    session: AsyncSession, stream: str, rendering: str
) -> FeedSnapshot | None:
    query = select(FeedSnapshot).where(
        col(FeedSnapshot.stream) == stream, col(FeedSnapshot.rendering) == rendering
    )
    return (await session.execute(query)).scalar_one_or_none()


async def store_snapshot(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or replace the stream's row for this rendering (concurrent writers agree: the
    same version always has the same checksum)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(FeedSnapshot).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["stream", "rendering"],
        set_={
            name: statement.excluded[name] for name in values if name not in ("stream", "rendering")
        },
    )
    await session.execute(statement)


# What a verify answer shows of the subject.
SUBJECT_CARD = ("id", "name", "kind", "region_code", "uscc", "nhsa_code", "resident_id_masked")


def _cited_documents(dialect: str) -> ScalarSelect[Any]:
    """The current item and document number of each record an entry cites, as a JSON array
    (a correlated subquery on the outer query's list_entry row)."""
    fields = ("record_id", REVISION.record_id, "item_code", REVISION.item_code,
              "document_no", REVISION.document_no)  # fmt: skip
    if dialect == "postgresql":
        cited = func.json_array_elements_text(ENTRY.record_ids).table_valued("value")
        cited_ids = select(cast(cited.c.value, BigInteger))
        documents = func.json_agg(func.json_build_object(*fields))
    else:
        cited = func.json_each(ENTRY.record_ids).table_valued("value")
        cited_ids = select(cited.c.value)
        documents = func.json_group_array(func.json_object(*fields))
    return (
        select(type_coerce(documents, JSON))
        .where(
            REVISION.record_id.in_(cited_ids.correlate(ENTRY_TABLE)), REVISION.known_until.is_(None)
        )
        .correlate(ENTRY_TABLE)
        .scalar_subquery()
    )


@lru_cache(maxsize=64)
def _verification_query(
    dialect: str, columns: tuple[str, ...], wanted: tuple[tuple[str, str], ...]
) -> Select[Any]:
    """Built once per shape: the subject by any of `columns` (values bound as v0, v1, …), its
    entries in force on the wanted lists on `today`, and the documents each cites."""
    in_force = and_(
        ENTRY.subject_id == SUBJECT.id,
        or_(*(and_(ENTRY.list_name == name, ENTRY.status == status) for name, status in wanted)),
        or_(ENTRY.valid_until.is_(None), ENTRY.valid_until >= bindparam("today")),
    )
    return (
        select(
            *(SUBJECT[name] for name in SUBJECT_CARD),
            SUBJECT.resident_id_hash,
            SUBJECT.resident_id_sealed,
            ENTRY.id.label("entry_id"),
            ENTRY.subject_id,
            ENTRY.list_name,
            ENTRY.status,
            ENTRY.valid_from,
            ENTRY.valid_until,
            ENTRY.criterion_code,
            ENTRY.reasons,
            ENTRY.legal_basis,
            ENTRY.record_ids,
            _cited_documents(dialect).label("documents"),
        )
        .select_from(SUBJECT_TABLE.outerjoin(ENTRY_TABLE, in_force))
        .where(or_(*(SUBJECT[name] == bindparam(f"v{i}") for i, name in enumerate(columns))))
        .order_by(SUBJECT.id, ENTRY.id)
    )


async def verification_rows(
    statements: Statements,
    lookups: list[tuple[str, str]],
    wanted: list[tuple[str, str]],
    today: date,
) -> Sequence[Row]:
    """One row per (subject holding one of these identifiers, entry of it in force), in
    subject then entry order; a subject with no entry in force has one row with no entry."""
    query = _verification_query(statements.dialect, tuple(c for c, _ in lookups), tuple(wanted))
    values = {f"v{i}": value for i, (_, value) in enumerate(lookups)}
    return await statements.rows(query, {**values, "today": today})


def _stream_page(for_agency: bool) -> Select[Any]:
    query = select(LOG.seq, LOG.op, LOG.occurred_at, cast(LOG.body, Text).label("body")).where(
        LOG.stream == bindparam("stream"), LOG.seq > bindparam("after")
    )
    if for_agency:
        query = query.where(LOG.agency == bindparam("agency"))
    return query.order_by(LOG.stream, LOG.seq).limit(bindparam("limit"))


_STREAM_PAGE = {False: _stream_page(False), True: _stream_page(True)}
_LAST_SEQ = select(func.max(LOG.seq).label("seq"))


async def stream_page(
    statements: Statements, stream: str, after_seq: int, limit: int, *, agency: str | None = None
) -> Sequence[Row]:
    """(seq, op, occurred_at, body as JSON text) of up to `limit` changes of one stream after
    `after_seq`, in seq order: a range of the (stream, seq) index, bodies left undecoded."""
    params: dict[str, Any] = {"stream": stream, "after": after_seq, "limit": limit}
    if agency is not None:
        params["agency"] = agency
    return await statements.rows(_STREAM_PAGE[agency is not None], params)


# A page of one stream's changes as PostgreSQL writes it: each change as the JSON object
# {"seq","op","entry","at"} (the body as stored, `at` as Python's isoformat writes a UTC time),
# joined by commas, as UTF-8 bytes; with how many, the last seq and whether more follow.
_ASSEMBLED_PAGE = text(
    """
    WITH page AS (
        SELECT seq, op, body, occurred_at AT TIME ZONE 'UTC' AS at
        FROM change_log
        WHERE stream = :stream AND seq > :after
        ORDER BY stream, seq
        LIMIT :limit + 1
    ), numbered AS (
        SELECT *, row_number() OVER (ORDER BY seq) AS n FROM page
    )
    SELECT
        convert_to(string_agg(
            '{"seq":' || seq || ',"op":"' || op || '","entry":' || body::text || ',"at":"'
            || to_char(at, 'YYYY-MM-DD"T"HH24\\:MI\\:SS')
            || CASE WHEN at = date_trunc('second', at) THEN '' ELSE to_char(at, '.US') END
            || '+00\\:00"}',
            ',' ORDER BY seq
        ) FILTER (WHERE n <= :limit), 'UTF8') AS changes,
        count(*) FILTER (WHERE n <= :limit) AS count,
        max(seq) FILTER (WHERE n <= :limit) AS last,
        count(*) > :limit AS has_more
    FROM numbered
    """
).bindparams(
    bindparam("stream", type_=String()),
    bindparam("after", type_=BigInteger()),
    bindparam("limit", type_=BigInteger()),
)


async def assembled_stream_page(
    statements: Statements, stream: str, after_seq: int, limit: int
) -> Row | None:
    """(changes as JSON bytes, count, last, has_more) of up to `limit` changes of `stream`
    after `after_seq` (PostgreSQL only): one range scan of the (stream, seq) index."""
    return await first(
        statements, _ASSEMBLED_PAGE, {"stream": stream, "after": after_seq, "limit": limit}
    )


async def last_seq(statements: Statements) -> int:
    """The seq of the last change of any stream (0 before any)."""
    found = await first(statements, _LAST_SEQ, {})
    return int(found["seq"] or 0) if found is not None else 0


# ---------------------------------------------------------------------------------- match

MATCH_COLUMNS = (*SUBJECT_CARD, "resident_id_hash", "resident_id_sealed")
_BY_IDENTIFIER = {
    column: select(SUBJECT.id).where(SUBJECT[column] == bindparam("value")).order_by(SUBJECT.id)
    for column in ("uscc", "nhsa_code", "resident_id_hash")
}


def _named(column: str, with_kind: bool) -> Select[Any]:
    query = select(SUBJECT.id).where(SUBJECT[column] == bindparam("value"))
    if with_kind:
        query = query.where(SUBJECT.kind == bindparam("kind"))
    return query.order_by(SUBJECT.id).limit(bindparam("limit"))


_NAMED = {(c, k): _named(c, k) for c in ("name_key", "name_pinyin") for k in (False, True)}
_POSTINGS = {
    dialect: select(GRAM.gram, func.count().label("postings"))
    .where(among_grams)
    .group_by(GRAM.gram)
    for dialect, among_grams in among(GRAM.gram, "grams").items()
}


def _sharing(among_grams: ColumnElement[bool], with_kind: bool) -> Select[Any]:
    shared = func.count().label("shared")
    query = (
        select(GRAM.subject_id, shared)
        .where(among_grams)
        .group_by(GRAM.subject_id)
        .having(func.count() >= bindparam("minimum"))
        .order_by(shared.desc(), GRAM.subject_id)
        .limit(bindparam("limit"))
    )
    if with_kind:
        query = query.join(SUBJECT_TABLE, SUBJECT.id == GRAM.subject_id).where(
            SUBJECT.kind == bindparam("kind")
        )
    return query


_SHARING = {
    (dialect, with_kind): _sharing(among_grams, with_kind)
    for dialect, among_grams in among(GRAM.gram, "grams").items()
    for with_kind in (False, True)
}
_SUBJECTS = {
    dialect: select(*(SUBJECT[name] for name in MATCH_COLUMNS)).where(condition)
    for dialect, condition in among(SUBJECT.id, "ids").items()
}


async def subjects_by_identifier(statements: Statements, column: str, value: str) -> list[int]:
    """Subjects holding this exact identifier (uscc, nhsa_code or resident_id_hash)."""
    rows = await statements.rows(_BY_IDENTIFIER[column], {"value": value})
    return [int(row["id"]) for row in rows[:10]]


async def subjects_named(
    statements: Statements, key: str, pinyin: str, kind: str | None, limit: int
) -> tuple[list[int], list[int]]:
    """Subjects whose name key equals the query's, and those whose pinyin does (two index
    look-ups)."""
    found: list[list[int]] = []
    for column, value in (("name_key", key), ("name_pinyin", pinyin)):
        params: dict[str, Any] = {"value": value, "limit": limit}
        if kind is not None:
            params["kind"] = kind
        rows = await statements.rows(_NAMED[column, kind is not None], params) if value else []
        found.append([int(row["id"]) for row in rows])
    return found[0], found[1]


async def gram_postings(statements: Statements, grams: Collection[str]) -> dict[str, int]:
    """How many names hold each of these character pairs (a gram no name holds is left out)."""
    rows = await statements.rows(_POSTINGS[statements.dialect], {"grams": sorted(grams)})
    return {row["gram"]: int(row["postings"]) for row in rows}


async def subjects_sharing_grams(
    statements: Statements, grams: list[str], minimum: int, kind: str | None, limit: int
) -> list[int]:
    """Subjects sharing at least `minimum` of these character pairs, most shared first."""
    if not grams:
        return []
    params: dict[str, Any] = {"grams": grams, "minimum": minimum, "limit": limit}
    if kind is not None:
        params["kind"] = kind
    rows = await statements.rows(_SHARING[statements.dialect, kind is not None], params)
    return [int(row["subject_id"]) for row in rows]


async def subjects_by_ids(statements: Statements, ids: Collection[int]) -> dict[int, Row]:
    """The match columns of these subjects (MATCH_COLUMNS), by id."""
    if not ids:
        return {}
    rows = await statements.rows(_SUBJECTS[statements.dialect], {"ids": sorted(ids)})
    return {int(row["id"]): row for row in rows}


@lru_cache(maxsize=16)
def _in_force(dialect: str, wanted: tuple[tuple[str, str], ...]) -> Select[Any]:
    return (
        select(ENTRY.id, ENTRY.subject_id, ENTRY.list_name, ENTRY.valid_from, ENTRY.valid_until)
        .where(
            among(ENTRY.subject_id, "ids")[dialect],
            or_(
                *(and_(ENTRY.list_name == name, ENTRY.status == status) for name, status in wanted)
            ),
            or_(ENTRY.valid_until.is_(None), ENTRY.valid_until >= bindparam("today")),
        )
        .order_by(ENTRY.id)
    )


async def in_force_entries(
    statements: Statements,
    subject_ids: Collection[int],
    wanted: list[tuple[str, str]],
    today: date,
) -> Sequence[Row]:
    """(id, subject_id, list_name, valid_from, valid_until) of these subjects' entries in force
    today on the wanted (list, in-force status) pairs."""
    if not subject_ids or not wanted:
        return []
    query = _in_force(statements.dialect, tuple(wanted))
    return await statements.rows(query, {"ids": sorted(subject_ids), "today": today})
