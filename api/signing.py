"""Answers a partner can verify: JSON bytes with Content-Digest and an Ed25519 HTTP signature."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.serialization import encode_json
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from credit.feeds import keys
from credit.feeds.signing import signed_headers
from credit.kernel.clock import utcnow

JSON = "application/json"


async def signed_response(
    session: AsyncSession,
    settings: Settings,
    content: bytes,
    media_type: str,
    *,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """The exact bytes sent, signed with the active key (created on the first call)."""
    key = await keys.active_key(session, settings.secret_key)
    signature = signed_headers(key, media_type, content, int(utcnow().timestamp()))
    return Response(content, media_type=media_type, headers={**(headers or {}), **signature})


async def signed_json(session: AsyncSession, settings: Settings, payload: Any) -> Response[bytes]:
    return await signed_response(session, settings, encode_json(payload), JSON)
