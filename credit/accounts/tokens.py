"""Signed, expiring bearer tokens (HMAC-SHA256 over a small JSON payload)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from credit.kernel.clock import utcnow


@dataclass(frozen=True, slots=True)
class TokenClaims:
    account_id: int
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def issue(secret: str, account_id: int, ttl: timedelta) -> tuple[str, datetime]:
    expires_at = utcnow() + ttl
    body = _b64(json.dumps({"sub": account_id, "exp": int(expires_at.timestamp())}).encode())
    return f"{body}.{_sign(secret, body)}", expires_at


def read(secret: str, token: str) -> TokenClaims | None:
    """The claims of a token this service signed and that has not expired, else None."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(signature, _sign(secret, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
        expires_at = datetime.fromtimestamp(int(payload["exp"]), tz=utcnow().tzinfo)
        account_id = int(payload["sub"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires_at <= utcnow():
        return None
    return TokenClaims(account_id=account_id, expires_at=expires_at)
