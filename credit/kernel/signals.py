"""In-transaction notifications between layers that must not import each other.

A lower package (records) announces that a subject's credit information changed; a higher one
(the live score in `indicators`, red-list removal in `credit.lists`, measures) reacts in the same
session, so the change and its consequences commit or roll back together. Handlers are wired once
by the composition root (`api.wiring.wire`), which the app, the CLI and the tests all call; a
domain package never registers itself as an import side effect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class SubjectsChanged:
    """Credit information of these subjects changed (`cause`: record_created, record_revoked, …)."""

    subject_ids: frozenset[int]
    cause: str


# The cause announced when a list entry comes into force, changes or ends; reactions to new
# records ignore it, reactions to standing (measures, live score) follow it.
LIST_ENTRY_CHANGED = "list_entry_changed"

# Causes that only add records (one submitted, a batch imported): nothing earlier changed.
RECORD_CREATED = "record_created"
RECORDS_IMPORTED = "records_imported"
NEW_RECORDS = frozenset({RECORD_CREATED, RECORDS_IMPORTED})

Handler = Callable[[AsyncSession, SubjectsChanged], Awaitable[None]]

_handlers: dict[str, Handler] = {}


def subscribe(name: str, handler: Handler) -> None:
    """Register (or replace, so wiring twice is harmless) the handler called `name`."""
    _handlers[name] = handler


def subscribed() -> tuple[str, ...]:
    return tuple(_handlers)


async def subjects_changed(session: AsyncSession, subject_ids: Collection[int], cause: str) -> None:
    """Tell every handler, in registration order, inside the caller's transaction."""
    if not subject_ids:
        return
    event = SubjectsChanged(frozenset(int(value) for value in subject_ids), cause)
    for handler in list(_handlers.values()):
        await handler(session, event)
