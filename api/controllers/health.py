"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from api.db import Database
from api.errors import problem
from api.migrate import current_revision, head_revision


@get("/health", opt={"public": True}, tags=["health"], sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@get("/ready", opt={"public": True}, tags=["health"])
async def ready(state: State) -> Response[Any]:
    """The database answers and its schema is at the newest migration."""
    database: Database = state.database
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current = await current_revision(database.engine)
    except Exception as exc:
        return problem(503, "Not ready", f"database unreachable: {type(exc).__name__}")
    head = head_revision()
    if current != head:
        return problem(
            503, "Not ready", f"database schema is at {current}, migrations are at {head}"
        )
    return Response({"status": "ready", "database": database.engine.dialect.name, "revision": head})
