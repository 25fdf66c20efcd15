"""Dependencies every controller declares: the request's session and the acting party."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from api.settings import Settings
from credit.kernel.actor import Actor
from credit.kernel.db import ID_MAX
from credit.subjects.pii import PersonalIdentifiers


async def provide_db_session(state: State) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler returns, rolled back if it raises."""
    database: Database = state.database
    async with database.transaction() as session:
        yield session


async def provide_read_session(
    state: State, db_session: AsyncSession
) -> AsyncIterator[AsyncSession]:
    """The request's session for reads that need not see its own writes (feeds, verify, match,
    public pages): on the read replica when one is set, where it cannot write.

    With no replica it is the request's own session, so a partner call still uses one
    connection; with one, the handler's small writes (its call log) go through `db_session`
    to the primary and its reads here, never mixed in one transaction.
    """
    database: Database = state.database
    if not database.has_replica:
        yield db_session
        return
    async with database.reading() as session:
        yield session


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """The party the authentication middleware resolved for this request."""
    actor: Actor = request.user
    return actor


@lru_cache(maxsize=4)
def _personal_identifiers(secret_key: str) -> PersonalIdentifiers:
    return PersonalIdentifiers(secret_key)


def provide_pii(settings: AppSettings) -> PersonalIdentifiers:
    """Hashing and sealing of personal identifiers, keyed once per app secret."""
    return _personal_identifiers(settings.secret_key)


# Annotated names for handler parameters, so each injection is explicit.
DbSession = NamedDependency[AsyncSession]
ReadSession = NamedDependency[AsyncSession]
CurrentActor = NamedDependency[Actor]
AppSettings = NamedDependency[Settings]
Pii = NamedDependency[PersonalIdentifiers]
# A path id: anything outside a 64-bit key is refused with 400 before it reaches the database.
EntityId = Annotated[int, Parameter(ge=1, le=ID_MAX)]
