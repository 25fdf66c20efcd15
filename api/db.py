"""The database as the web app, the CLI and jobs see it: every model, engines, sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# Importing the model modules registers every table on the shared metadata. Ruff sees one
# binding per top package (`credit`, `repair`): the noqa sits on the last import of each, and
# removing it lets `ruff --fix` delete the whole list.
import credit.accounts.models
import credit.audit.models
import credit.calendar.models
import credit.catalog.models
import credit.changelog.models
import credit.feeds.models
import credit.ingestion.models
import credit.jobs.models
import credit.lists.models
import credit.measures.models
import credit.metrics.models
import credit.notifications.models
import credit.policy.models
import credit.records.models
import credit.subjects.models  # noqa: F401
import repair.models  # noqa: F401
from api.wiring import wire
from credit.kernel.db import make_engine, make_sessionmaker, metadata

__all__ = ["Database", "metadata"]


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def make_read_engine(url: str) -> AsyncEngine:
    """An engine whose transactions refuse to write (a hot standby refuses them anyway; this
    makes a replica URL that names the primary, as in tests, behave the same)."""
    engine = make_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_query_only)
        return engine
    return engine.execution_options(postgresql_readonly=True)


class Database:
    """The primary's engine and session factory, and a replica's when one is set; requests, CLI
    commands and jobs share this provider."""

    def __init__(self, url: str, read_url: str | None = None) -> None:
        wire()  # whoever opens the database gets the cross-package reactions
        self.url = url
        self.engine: AsyncEngine = make_engine(url)
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)
        self.read_engine: AsyncEngine | None = make_read_engine(read_url) if read_url else None
        self.read_sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(
            self.read_engine or self.engine
        )

    @property
    def has_replica(self) -> bool:
        return self.read_engine is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits when the block ends and rolls back if it raises."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only, on the replica when one is set (else on the primary).

        It never commits: closing it hands the connection back, whose transaction the pool
        rolls back; loaded objects stay readable (a rollback would expire them).
        """
        async with self.read_sessionmaker() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not None:
            await self.read_engine.dispose()
