"""Answers a partner can verify: JSON bytes with Content-Digest and an Ed25519 HTTP signature."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import orjson
from litestar import Response
from litestar.connection import ASGIConnection
from sqlalchemy.ext.asyncio import AsyncSession

from credit.feeds import keys
from credit.feeds.signing import ActiveKey, signed_digest_headers, signed_headers

JSON = "application/json"
# How long a process signs with the key it read before reading again: a rotation made by
# another process takes effect within this time (one made here, at once). Until then answers
# carry the retired key, which stays listed, so they still verify.
KEY_TTL_SECONDS = 5.0

Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class AnswerSigner:
    """Signs answers with the active key, read at most once per KEY_TTL_SECONDS."""

    def __init__(self, sessions: Sessions, secret: str) -> None:
        self._sessions = sessions  # transactions on the primary: the first start makes the key
        self._secret = secret
        self._key: ActiveKey | None = None
        self._read_at = 0.0

    async def key(self) -> ActiveKey:
        now = time.monotonic()
        if self._key is None or now - self._read_at > KEY_TTL_SECONDS:
            async with self._sessions() as session:
                self._key = await keys.active_key(session, self._secret)
            self._read_at = now
        return self._key

    def forget(self) -> None:
        """Read the key again before the next signature (after a rotation in this process)."""
        self._key = None

    async def response(
        self,
        content: bytes,
        media_type: str,
        headers: dict[str, str] | None = None,
        *,
        key: ActiveKey | None = None,
    ) -> Response[bytes]:
        """The exact bytes sent, signed (with `key` if given, else the active key)."""
        signing_key = key or await self.key()
        signature = signed_headers(signing_key, media_type, content, int(time.time()))
        return Response(content, media_type=media_type, headers={**(headers or {}), **signature})

    async def json(self, payload: Any, *, key: ActiveKey | None = None) -> Response[bytes]:
        return await self.response(orjson.dumps(payload, default=str), JSON, key=key)

    async def headers_for(self, media_type: str, digest: str) -> dict[str, str]:
        """Signature headers for a body streamed after them, known ahead by its Content-Digest."""
        return signed_digest_headers(await self.key(), media_type, digest, int(time.time()))


def signer_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AnswerSigner:
    """The app's signer (made in its lifespan)."""
    signer: AnswerSigner = connection.app.state.signer
    return signer
