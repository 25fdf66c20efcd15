"""The database as the web app, the CLI and jobs see it: every model, engines, sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# Importing the model modules registers every table on the shared metadata.
import credit.accounts.models
import credit.audit.models
import credit.calendar.models
import credit.catalog.models
import credit.changelog.models
import credit.feeds.models
import credit.ingestion.models
import credit.lists.models
import credit.measures.models
import credit.metrics.models
import credit.policy.models
import credit.records.models
import credit.subjects.models  # noqa: F401
from api.wiring import wire
from credit.kernel.db import make_engine, make_sessionmaker, metadata

__all__ = ["Database", "metadata"]


class Database:
    """One engine and its session factory; requests, CLI commands and jobs share this provider."""

    def __init__(self, url: str) -> None:
        wire()  # whoever opens the database gets the cross-package reactions
        self.url = url
        self.engine: AsyncEngine = make_engine(url)
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)

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

    async def dispose(self) -> None:
        await self.engine.dispose()
