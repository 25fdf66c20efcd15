"""Every call made with an API key is logged: key prefix, endpoint, status and how much it got.

An ASGI middleware placed after authentication logs each partner call once its answer has gone,
with the status sent and, when the handler said so (`answered`), how many items it returned.
Rows are written by group commit (`CallLog`): the rows of the calls answered while one INSERT
is under way go together in the next, one statement each, outside the answer's transaction.
Each call still waits for its own row, so when a call's ASGI cycle ends its row is stored.

What can be lost: on a normal shutdown nothing (uvicorn lets running calls finish and the
lifespan writes what is left); on a crash of the process, the rows of the calls answered in the
last few milliseconds (whose INSERT had not committed), as with any write made after an answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from credit.accounts import calls
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.statements import Statements

RETURNED_KEY = "medcredit.returned"
log = logging.getLogger("medcredit.api")

Writes = Callable[[], AbstractAsyncContextManager[Statements]]


def answered(request: Request[Any, Any, Any], count: int) -> None:
    """Note how many items (changes, entries, lists, candidates) the answer holds, for its log."""
    request.scope[RETURNED_KEY] = count  # type: ignore[literal-required]


class CallLog:
    """Partner call rows written by group commit, one INSERT per batch."""

    def __init__(self, writes: Writes) -> None:
        self._writes = writes
        self._pending: list[dict[str, Any]] = []
        self._written: asyncio.Future[None] | None = None  # done when the pending rows are
        self._writer: asyncio.Task[None] | None = None

    async def add(self, row: dict[str, Any]) -> None:
        """Store one row; returns once the batch holding it is committed (or has failed)."""
        self._pending.append(row)
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
        written = self._written
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        # Shielded: a caller that goes away does not cancel the others' rows.
        await asyncio.shield(written)

    async def _drain(self) -> None:
        while self._pending:
            batch, written = self._pending, self._written
            self._pending, self._written = [], None
            try:
                async with self._writes() as statements:
                    await calls.record_many(statements, batch)
            except Exception:  # the answers have gone out; a lost row must not fail them
                log.exception("could not log %d partner calls", len(batch))
            finally:
                if written is not None and not written.done():
                    written.set_result(None)

    async def close(self) -> None:
        """Write whatever is still pending (at shutdown)."""
        if self._writer is not None:
            await self._writer
        await self._drain()


def _endpoint(scope: Scope) -> str:
    return str(scope.get("path_template") or scope.get("path", ""))


class PartnerCallLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except Exception as error:
            status = int(getattr(error, "status_code", 500))
            raise
        finally:
            actor = scope.get("user")
            if isinstance(actor, Actor) and actor.role is Role.PARTNER:
                await _record(scope, actor, status)


async def _record(scope: Scope, actor: Actor, status: int) -> None:
    call_log: CallLog = scope["app"].state.partner.call_log
    returned = scope.get(RETURNED_KEY) if status < 400 else None
    await call_log.add(
        {
            "api_key_id": actor.api_key_id,
            "key_prefix": calls.key_prefix(actor),
            "method": str(scope.get("method", ""))[:10],
            "endpoint": _endpoint(scope)[:200],
            "status": status,
            "returned": returned,
            "called_at": utcnow(),
        }
    )
