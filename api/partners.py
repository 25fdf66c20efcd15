"""What each web process keeps for the partner endpoints, made in the app's lifespan.

- where partner calls run their statements (`PartnerDatabase`): key checks, the rate limit and
  the call log on the primary, so a revoked key stops at once; reads on the replica when set;
- the rate limiter's reserved calls, the signing key (re-read every few seconds), the call
  log's group commit and the character pair counts name matching uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler

from api.calls import CallLog
from api.db import Database
from api.deps import provide_pii
from api.guards import requires_scope
from api.settings import Settings
from api.signing import AnswerSigner
from credit.accounts.api_keys import RateLimiter
from credit.feeds.match import GramPostings
from credit.kernel.db import make_sessionmaker
from credit.kernel.statements import (
    DriverStatements,
    SessionStatements,
    Statements,
    driver_errors,
    keep_session_state,
    prepare_connection,
)
from credit.subjects.pii import PersonalIdentifiers

# asyncpg connections per pool and process (as the SQLAlchemy engine's pool_size).
POOL_SIZE = 10


class PartnerDatabase:
    """Where partner calls run their statements.

    On PostgreSQL: asyncpg pools, one on the primary (key checks, rate limit, call log) and one
    for reads (on the replica when one is set), each statement committing by itself. On
    SQLite: sessions of the app's engines, one transaction per block.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._pools: dict[str, Any] = {}
        self._read_sessions = make_sessionmaker(database.read_engine or database.engine)

    async def open(self) -> None:
        if self._database.engine.dialect.name != "postgresql":
            return
        read_url = self._database.read_engine.url if self._database.read_engine else None
        for name, url in (("primary", self._database.engine.url), ("reads", read_url)):
            if url is None:
                continue
            self._pools[name] = await asyncpg.create_pool(
                url.set(drivername="postgresql").render_as_string(hide_password=False),
                # Connect on first use: the app starts (and /ready says why) with the
                # database down.
                min_size=0,
                max_size=POOL_SIZE,
                init=prepare_connection,
                reset=keep_session_state,
            )
        self._pools.setdefault("reads", self._pools["primary"])

    async def close(self) -> None:
        for pool in {id(pool): pool for pool in self._pools.values()}.values():
            await pool.close()

    @asynccontextmanager
    async def _connection(self, pool: str) -> AsyncIterator[Any]:
        with driver_errors():
            connection = await self._pools[pool].acquire()
        try:
            yield connection
        finally:
            await self._pools[pool].release(connection)

    @asynccontextmanager
    async def writes(self) -> AsyncIterator[Statements]:
        """Statements on the primary; on SQLite one transaction, committed at the end."""
        if self._pools:
            async with self._connection("primary") as connection:
                yield DriverStatements(connection)
            return
        async with self._database.transaction() as session:
            yield SessionStatements(session)

    @asynccontextmanager
    async def reads(self) -> AsyncIterator[Statements]:
        """Statements that only read, on the replica when one is set."""
        if self._pools:
            async with self._connection("reads") as connection:
                yield DriverStatements(connection)
            return
        async with self._read_sessions() as session:
            yield SessionStatements(session)


@dataclass(frozen=True, slots=True)
class PartnerServices:
    """What the partner endpoints use, per process. Handlers reach it with `partner_of`
    rather than through dependency injection: a partner call is a few hundred microseconds of
    work, and resolving injected dependencies would be a good part of it."""

    db: PartnerDatabase
    rate_limiter: RateLimiter
    signer: AnswerSigner
    call_log: CallLog
    gram_postings: GramPostings
    settings: Settings

    @property
    def pii(self) -> PersonalIdentifiers:
        """Hashing and sealing of personal identifiers (made on first use: an app without a
        secret still starts, and refuses what needs one)."""
        return provide_pii(self.settings)

    def reads(self) -> AbstractAsyncContextManager[Statements]:
        return self.db.reads()


def partner_of(connection: ASGIConnection[Any, Any, Any, Any]) -> PartnerServices:
    services: PartnerServices = connection.app.state.partner
    return services


@asynccontextmanager
async def partner_services(
    state: State, database: Database, settings: Settings
) -> AsyncIterator[None]:
    """Set up `state.partner` (and `state.signer`); write the call log's last rows at the end."""
    partner_db = PartnerDatabase(database)
    await partner_db.open()
    # The signer reads (and on a first use makes) the key on the primary, also when answers
    # are read on a replica.
    services = PartnerServices(
        db=partner_db,
        rate_limiter=RateLimiter(),
        signer=AnswerSigner(database.transaction, settings.secret_key),
        call_log=CallLog(partner_db.writes),
        gram_postings=GramPostings(),
        settings=settings,
    )
    state.partner = services
    state.signer = services.signer
    try:
        yield
    finally:
        try:
            await services.call_log.close()
        finally:
            await partner_db.close()


def scope_guard(
    scope: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """`requires_scope(scope)` as an async guard: Litestar runs a sync guard in a worker thread,
    a hop that costs a partner call more than the check itself."""
    check = requires_scope(scope)

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        check(connection, handler)

    return guard
