"""Writing a run's results below the ORM, each chunk's write overlapping the next chunk's scoring.

A million rows through per-row type conversion cost more than computing them: the rows are
handed to the driver with points in fen and the JSON columns already serialised (PostgreSQL takes
them by COPY). While the database writes one chunk, Python scores the next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from indicators.engine import Scored
from indicators.models import RESULT_TABLE

RESULT_COLUMNS = (
    "run_id",
    "subject_id",
    "set_id",
    "eligible",
    "total",
    "grade",
    "vetoed_by",
    "dimension_scores",
    "contributions",
    "reason_codes",
)


def _row(run_id: int, scored: Scored) -> tuple[Any, ...]:
    outcome = scored.outcome
    total = None if outcome.total is None else int(outcome.total * 100)  # Money stores fen
    return (
        run_id,
        scored.subject.id,
        scored.set_id,
        outcome.eligible,
        total,
        outcome.grade,
        outcome.vetoed_by,
        orjson.dumps(outcome.dimension_scores).decode(),
        orjson.dumps(outcome.contributions).decode(),
        orjson.dumps(outcome.reason_codes).decode(),
    )


async def _write(connection: AsyncConnection, run_id: int, scored: Sequence[Scored]) -> None:
    rows = [_row(run_id, item) for item in scored]
    if connection.dialect.name == "postgresql":
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.copy_records_to_table(RESULT_TABLE.name, records=rows, columns=RESULT_COLUMNS)
    else:
        statement = insert(RESULT_TABLE).compile(
            dialect=connection.dialect, column_keys=list(RESULT_COLUMNS)
        )
        await connection.exec_driver_sql(str(statement), rows)


class ResultWriter:
    """At most one chunk's write in flight; `flush` before the session is used again."""

    def __init__(self, session: AsyncSession, run_id: int) -> None:
        self.session, self.run_id = session, run_id
        self.pending: asyncio.Task[None] | None = None

    async def start(self, scored: Sequence[Scored]) -> None:
        """Begin writing these results; the session is the writer's until `flush`."""
        await self.flush()
        if scored:
            connection = await self.session.connection()
            self.pending = asyncio.create_task(_write(connection, self.run_id, scored))

    async def flush(self) -> None:
        """Wait for the write in flight (its error, if any, is raised here)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            await pending

    async def abandon(self) -> None:
        """Stop a write in flight (the transaction is failing anyway)."""
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        # The error that made the run give up is the one to raise, not the write's.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self.flush()
