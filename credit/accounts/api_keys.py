"""Partner API keys: issued once, stored hashed with a visible prefix, scoped and rate-limited."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from credit.accounts import repository
from credit.accounts.models import AGENCY_CODE_PATTERN, ApiKey
from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.errors import InvalidInput, NotFound, TooManyRequests

SCOPES = ("feed:black", "feed:red", "feed:focus", "feed:measures", "verify", "match", "pii")
KEY_PREFIX = "mck"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(scopes: Sequence[str]) -> list[str]:
    cleaned = sorted({scope.strip() for scope in scopes if scope.strip()})
    unknown = [scope for scope in cleaned if scope not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"unknown scope {unknown[0]}; known scopes: {', '.join(SCOPES)}",
            field="scopes",
            rule="known_scope",
        )
    if not cleaned:
        raise InvalidInput("at least one scope is needed", field="scopes", rule="required")
    return cleaned


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    agency: str,
    scopes: Sequence[str],
    rate_limit_per_minute: int,
    agency_code: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key for `agency`; the plain key is returned here and never again."""
    agency = agency.strip()
    if not agency:
        raise InvalidInput("agency must not be empty", field="agency", rule="required")
    if agency_code is not None and not re.fullmatch(AGENCY_CODE_PATTERN, agency_code):
        raise InvalidInput(
            "agency_code is an agency code as the measures catalog names it "
            "(lower case letters, digits and _, e.g. medical_insurance_agency)",
            field="agency_code",
            rule="pattern",
        )
    if rate_limit_per_minute < 1:
        raise InvalidInput(
            "rate_limit_per_minute must be at least 1", field="rate_limit_per_minute", rule="min"
        )
    granted = parse_scopes(scopes)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plain = f"{KEY_PREFIX}_{prefix}_{secret}"
    key = ApiKey(
        agency=agency,
        agency_code=agency_code,
        prefix=prefix,
        key_hash=_hash(plain),
        scopes=",".join(granted),
        rate_limit_per_minute=rate_limit_per_minute,
        created_at=utcnow(),
        created_by=actor.name,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        actor,
        "api_key.create",
        "api_key",
        key.id,
        {"agency": agency, "agency_code": agency_code, "prefix": prefix, "scopes": granted},
    )
    return key, plain


async def revoke(session: AsyncSession, actor: Actor, api_key_id: int) -> ApiKey:
    key = await session.get(ApiKey, api_key_id)
    if key is None:
        raise NotFound(f"no API key {api_key_id}", field="id", rule="exists")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
        await audit.record(
            session, actor, "api_key.revoke", "api_key", key.id, {"prefix": key.prefix}
        )
    return key


async def listed(session: AsyncSession) -> Sequence[ApiKey]:
    return await repository.api_keys(session)


async def agency_code_of(session: AsyncSession, actor: Actor) -> str | None:
    """The implementing agency a partner actor acts for (None: not a partner, or no code)."""
    if actor.role is not Role.PARTNER or actor.api_key_id is None:
        return None
    key = await session.get(ApiKey, actor.api_key_id)
    return key.agency_code if key is not None else None


async def authenticate(session: AsyncSession, plain: str) -> Actor | None:
    """The partner actor for a valid, unrevoked key, counting the call against its rate limit."""
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = await repository.api_key_by_prefix(session, parts[1])
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, _hash(plain)):
        return None
    assert key.id is not None
    now = utcnow()
    window = now.replace(second=0, microsecond=0)
    calls = await repository.count_call(session, key.id, window)
    if calls > key.rate_limit_per_minute:
        raise TooManyRequests(
            f"rate limit of {key.rate_limit_per_minute} calls a minute reached",
            retry_after=60 - now.second,
            field="Authorization",
            rule="rate_limit",
        )
    await repository.touch_api_key(session, key.id, now)
    return Actor(
        role=Role.PARTNER,
        name=f"api-key:{key.prefix}:{key.agency}",
        api_key_id=key.id,
        scopes=key.scope_set,
    )
