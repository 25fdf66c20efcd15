"""Partner API keys: issued once, stored hashed with a visible prefix, scoped and rate-limited."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from credit.accounts import repository
from credit.accounts.models import AGENCY_CODE_PATTERN, ApiKey
from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.errors import InvalidInput, NotFound, TooManyRequests
from credit.kernel.statements import Statements

# "outbox": an e-mail/SMS gateway that drains the notification outbox.
SCOPES = (
    "feed:black",
    "feed:red",
    "feed:focus",
    "feed:measures",
    "verify",
    "match",
    "pii",
    "outbox",
)
KEY_PREFIX = "mck"
TOUCH_EVERY = timedelta(minutes=1)


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


async def partner_agency(statements: Statements, actor: Actor) -> str | None:
    """`agency_code_of`, through a partner call's statements."""
    if actor.role is not Role.PARTNER or actor.api_key_id is None:
        return None
    return await repository.agency_code(statements, actor.api_key_id)


async def agency_code_of(session: AsyncSession, actor: Actor) -> str | None:
    """The implementing agency a partner actor acts for (None: not a partner, or no code)."""
    if actor.role is not Role.PARTNER or actor.api_key_id is None:
        return None
    key = await session.get(ApiKey, actor.api_key_id)
    return key.agency_code if key is not None else None


# A process reserves a key's calls from the shared per-minute counter in batches of at most
# 1/RESERVE_SHARE of its limit (and at most RESERVE_MAX): limits under 2 x RESERVE_SHARE are
# counted call by call, exactly; larger ones cost one UPSERT per batch instead of one per call.
RESERVE_SHARE = 100
RESERVE_MAX = 50


def reservation_size(limit: int) -> int:
    """How many calls a process reserves at once for a key with this per-minute limit."""
    return max(1, min(RESERVE_MAX, limit // RESERVE_SHARE))


@dataclass(slots=True)
class _Allowance:
    window: datetime
    remaining: int


class RateLimiter:
    """Per-minute call limits that hold across web workers and cost one UPSERT per batch.

    The count of record is `api_key_usage` (one row per key and clock minute). Each process
    reserves calls from it in batches (`reservation_size`) and spends them locally. Trade-off:
    calls a process reserved but did not spend in a minute count as used, so with W processes
    a busy key may be refused up to (W - 1) x (batch - 1) calls before its limit (at most 1% of
    the limit per other process); it is never served more than its limit.
    """

    def __init__(self) -> None:
        self._allowances: dict[int, _Allowance] = {}

    async def admit(self, statements: Statements, api_key_id: int, limit: int) -> None:
        """Count one call of the key, or raise TooManyRequests until the minute ends."""
        now = utcnow()
        window = now.replace(second=0, microsecond=0)
        held = self._allowances.get(api_key_id)
        if held is not None and held.window == window and held.remaining > 0:
            held.remaining -= 1
            return
        batch = reservation_size(limit)
        total = await repository.count_calls(statements, api_key_id, window, batch)
        granted = min(batch, limit - (total - batch))
        if granted <= 0:
            raise TooManyRequests(
                f"rate limit of {limit} calls a minute reached",
                retry_after=60 - now.second,
                field="Authorization",
                rule="rate_limit",
            )
        held = self._allowances.get(api_key_id)  # another call may have reserved meanwhile
        if held is not None and held.window == window:
            held.remaining += granted - 1
        else:
            self._allowances[api_key_id] = _Allowance(window, granted - 1)


async def authenticate(statements: Statements, plain: str, limiter: RateLimiter) -> Actor | None:
    """The partner actor for a valid, unrevoked key, counting the call against its rate limit.

    One indexed read of the key per call, so a revoked key stops at once in every process;
    the rate limit costs a write only when this process's reserved calls run out.
    """
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = await repository.api_key_credentials(statements, parts[1])
    if key is None or key["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(key["key_hash"], _hash(plain)):
        return None
    key_id = int(key["id"])
    await limiter.admit(statements, key_id, key["rate_limit_per_minute"])
    now = utcnow()
    if key["last_used_at"] is None or now - key["last_used_at"] > TOUCH_EVERY:
        # Once a minute is enough to say when a key was last used, and spares every call an
        # UPDATE of the key's row (which concurrent calls of one key would queue on).
        await repository.touch_api_key(statements, key_id, now)
    return Actor(
        role=Role.PARTNER,
        name=f"api-key:{parts[1]}:{key['agency']}",
        api_key_id=key_id,
        scopes=_scope_sets(key["scopes"]),
    )


@lru_cache(maxsize=1024)
def _scope_sets(scopes: str) -> frozenset[str]:
    return frozenset(scope for scope in scopes.split(",") if scope)
