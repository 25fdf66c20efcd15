"""Knowledge time settles: a reader as of a moment sees every fact stamped at or before it.

Records and metrics carry the moment they became known (`known_from`, `recorded_at`), stamped by
the writer before its transaction commits. A run as of a moment reads what was known then, so a
fact stamped before that moment but committed after the run read it would be missed by the run
and found by a rerun of the same as_of. Writers therefore hold a shared lock from before they
take a stamp until they commit; a reader takes the same lock exclusively for an instant before it
fixes its as_of and reads, which waits for every writer in flight. Writers that start later stamp
a later time. PostgreSQL advisory locks; SQLite has one writer at a time, whose lock the
reader's write transaction waits for anyway.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Arbitrary constant naming the advisory lock (the audit chain and change log use ...22, ...23).
_KNOWLEDGE_LOCK_KEY = 7_319_410_24
_STAMPING = "medcredit.knowledge_stamping"


def _on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def stamping(session: AsyncSession) -> None:
    """Call before taking a knowledge stamp; the lock is held until the transaction ends."""
    if not _on_postgresql(session):
        return
    await session.execute(
        text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _KNOWLEDGE_LOCK_KEY}
    )
    session.info[_STAMPING] = session.get_transaction()


async def settle(session: AsyncSession) -> None:
    """Wait until every transaction that took a stamp before now has committed or rolled back.

    A transaction that stamps facts itself (an objection decision starting a correction run)
    does not wait: two of them would each wait for the other.
    """
    current = session.get_transaction()
    if not _on_postgresql(session) or (current and session.info.get(_STAMPING) is current):
        return
    await session.execute(
        text("SELECT pg_advisory_lock(:key), pg_advisory_unlock(:key)"),
        {"key": _KNOWLEDGE_LOCK_KEY},
    )
