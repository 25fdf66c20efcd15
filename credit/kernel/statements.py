"""Prebuilt statements run through whatever a hot path holds: a session or a driver connection.

A partner call (key check, verify, a change page, match) runs a few fixed statements. Through
an ORM session each costs several times its database round trip in Python (session, pool
checkout, greenlet, result processing); on PostgreSQL they run straight on an asyncpg
connection instead, from SQL compiled once per statement. The statements stay SQLAlchemy
constructs, so SQLite (the tests, the embedded default) runs the very same ones in a session.

Each statement commits on its own on PostgreSQL (no BEGIN/COMMIT): under READ COMMITTED a
read sees the same as in a transaction, and the writes made here are single statements.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import asyncpg
import orjson
from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Row = Mapping[str, Any]


class Statements(ABC):
    """Runs prebuilt SQLAlchemy statements; rows come back as mappings by column label."""

    dialect: str  # "postgresql" or "sqlite": for statements written per dialect (UPSERT)

    @abstractmethod
    async def rows(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row]:
        """The rows a statement returns."""

    @abstractmethod
    async def execute(self, statement: ClauseElement, params: Mapping[str, Any]) -> None:
        """Run a statement that returns no rows."""

    @abstractmethod
    async def insert_many(self, statement: ClauseElement, rows: Sequence[Row]) -> None:
        """One INSERT for many rows (each a mapping of the same columns)."""


def among(column: ColumnElement[Any], name: str) -> dict[str, ColumnElement[bool]]:
    """`column` is one of the values bound as `name` (a list), per dialect: a PostgreSQL array
    (one parameter, so the SQL compiles once), an expanding IN on SQLite."""
    return {
        "postgresql": column == any_(bindparam(name, type_=ARRAY(column.type))),
        "sqlite": column.in_(bindparam(name, expanding=True)),
    }


async def first(
    statements: Statements, statement: ClauseElement, params: Mapping[str, Any]
) -> Row | None:
    """The first row, or None."""
    found = await statements.rows(statement, params)
    return found[0] if found else None


class SessionStatements(Statements):
    """Through an SQLAlchemy session (any database)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    async def rows(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row]:
        return (await self.session.execute(statement, dict(params or {}))).mappings().all()  # type: ignore[call-overload]

    async def execute(self, statement: ClauseElement, params: Mapping[str, Any]) -> None:
        await self.session.execute(statement, dict(params))  # type: ignore[call-overload]

    async def insert_many(self, statement: ClauseElement, rows: Sequence[Row]) -> None:
        if rows:
            await self.session.execute(statement, [dict(row) for row in rows])  # type: ignore[call-overload]


_DIALECT = asyncpg_dialect()
_Compiled = tuple[str, tuple[str, ...], dict[str, Any], dict[str, Callable[[Any], Any]]]
_compiled: dict[tuple[int, tuple[str, ...]], tuple[ClauseElement, _Compiled]] = {}


def _compile(statement: ClauseElement, column_keys: tuple[str, ...] = ()) -> _Compiled:
    """SQL with $n parameters, the parameter names in order, their bound defaults and type
    processors; cached per statement object (the statements are module-level constants)."""
    cache_key = (id(statement), column_keys)
    cached = _compiled.get(cache_key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    compiled = cast(
        SQLCompiler, statement.compile(dialect=_DIALECT, column_keys=list(column_keys) or None)
    )
    names = tuple(compiled.positiontup or ())
    # Private but stable since SQLAlchemy 1.4; a value is a callable for a plain parameter.
    processors: dict[str, Callable[[Any], Any]] = {
        name: processor
        for name, processor in compiled._bind_processors.items()
        if name in names and callable(processor)
    }
    result = (str(compiled), names, dict(compiled.params), processors)
    _compiled[cache_key] = (statement, result)
    return result


def _arguments(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    _, names, defaults, processors = compiled
    values = []
    for name in names:
        value = params[name] if name in params else defaults[name]
        processor = processors.get(name)
        values.append(processor(value) if processor is not None and value is not None else value)
    return values


@contextmanager
def driver_errors(statement: str = "") -> Iterator[None]:
    """asyncpg's errors as SQLAlchemy's, so callers (and the API's error handlers) meet the same
    exceptions on both paths: a lost or refused connection is an OperationalError (503)."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as error:
        raise IntegrityError(statement, None, error) from error
    except asyncpg.DataError as error:
        raise DataError(statement, None, error) from error
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as error:
        raise OperationalError(statement, None, error) from error
    except asyncpg.CannotConnectNowError as error:  # the server is starting or shutting down
        raise OperationalError(statement, None, error) from error


class DriverStatements(Statements):
    """Straight on an asyncpg connection (PostgreSQL), each statement committing by itself."""

    dialect = "postgresql"

    def __init__(self, connection: Any) -> None:
        self.connection = connection  # asyncpg.Connection

    async def rows(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row]:
        compiled = _compile(statement)
        with driver_errors(compiled[0]):
            found: Sequence[Row] = await self.connection.fetch(
                compiled[0], *_arguments(compiled, params or {})
            )
        return found

    async def execute(self, statement: ClauseElement, params: Mapping[str, Any]) -> None:
        compiled = _compile(statement)
        with driver_errors(compiled[0]):
            await self.connection.execute(compiled[0], *_arguments(compiled, params))

    async def insert_many(self, statement: ClauseElement, rows: Sequence[Row]) -> None:
        if not rows:
            return
        compiled = _compile(statement, tuple(rows[0]))
        with driver_errors(compiled[0]):
            await self.connection.executemany(
                compiled[0], [_arguments(compiled, row) for row in rows]
            )


async def prepare_connection(connection: Any) -> None:
    """Decode json and jsonb as SQLAlchemy's JSON type would (asyncpg hands back text)."""
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name,
            encoder=lambda value: orjson.dumps(value).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def keep_session_state(_connection: Any) -> None:
    """A pooled connection needs no reset: only single statements run on it, outside any
    transaction, and they change no session setting (asyncpg's reset is one more round trip)."""
