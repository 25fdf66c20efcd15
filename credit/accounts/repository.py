"""Queries on accounts, login throttles and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.accounts.models import Account, ApiKey, ApiKeyUsage, LoginThrottle
from credit.kernel.statements import Row, Statements, first


async def account_by_username(session: AsyncSession, username: str) -> Account | None:
    result = await session.execute(select(Account).where(col(Account.username) == username))
    return result.scalar_one_or_none()


async def account_by_id(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def accounts_page(
    session: AsyncSession, after_id: int | None, limit: int
) -> Sequence[Account]:
    query = select(Account).order_by(col(Account.id)).limit(limit)
    if after_id is not None:
        query = query.where(col(Account.id) > after_id)
    return (await session.execute(query)).scalars().all()


async def throttle_for(session: AsyncSession, username: str) -> LoginThrottle | None:
    return await session.get(LoginThrottle, username)


async def api_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.execute(select(ApiKey).order_by(col(ApiKey.id)))).scalars().all()


API_KEY_TABLE = ApiKey.__table__  # type: ignore[attr-defined]
USAGE_TABLE = ApiKeyUsage.__table__  # type: ignore[attr-defined]
API_KEY, USAGE = API_KEY_TABLE.c, USAGE_TABLE.c
# Built once: authentication runs on every partner call (see credit.kernel.statements).
_CREDENTIALS = select(
    API_KEY.id,
    API_KEY.key_hash,
    API_KEY.agency,
    API_KEY.agency_code,
    API_KEY.scopes,
    API_KEY.rate_limit_per_minute,
    API_KEY.last_used_at,
    API_KEY.revoked_at,
).where(API_KEY.prefix == bindparam("prefix"))


def _count_calls(insert: Any) -> Any:
    statement = insert(USAGE_TABLE).values(
        api_key_id=bindparam("api_key_id"),
        window_start=bindparam("window_start"),
        calls=bindparam("calls"),
    )
    return statement.on_conflict_do_update(
        index_elements=["api_key_id", "window_start"],
        set_={"calls": USAGE.calls + statement.excluded.calls},
    ).returning(USAGE.calls)


_COUNT_CALLS = {"postgresql": _count_calls(pg_insert), "sqlite": _count_calls(sqlite_insert)}
_TOUCH = (
    update(API_KEY_TABLE)
    .where(API_KEY.id == bindparam("key_id"))
    .values(last_used_at=bindparam("used_at"))
)
_AGENCY_CODE = select(API_KEY.agency_code).where(API_KEY.id == bindparam("key_id"))


async def api_key_credentials(statements: Statements, prefix: str) -> Row | None:
    """What authenticating a key needs of it, by its unique prefix: one index look-up."""
    return await first(statements, _CREDENTIALS, {"prefix": prefix})


async def count_calls(
    statements: Statements, api_key_id: int, window_start: datetime, calls: int
) -> int:
    """Add `calls` to the key's count for a minute and return the new count, in one statement
    (an UPSERT, atomic across processes)."""
    found = await first(
        statements,
        _COUNT_CALLS[statements.dialect],
        {"api_key_id": api_key_id, "window_start": window_start, "calls": calls},
    )
    assert found is not None
    return int(found["calls"])


async def touch_api_key(statements: Statements, api_key_id: int, used_at: datetime) -> None:
    await statements.execute(_TOUCH, {"key_id": api_key_id, "used_at": used_at})


async def agency_code(statements: Statements, api_key_id: int) -> str | None:
    found = await first(statements, _AGENCY_CODE, {"key_id": api_key_id})
    return found["agency_code"] if found is not None else None
