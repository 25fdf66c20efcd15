"""Queries on accounts, login throttles and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.accounts.models import Account, ApiKey, ApiKeyUsage, LoginThrottle


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


async def api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    result = await session.execute(select(ApiKey).where(col(ApiKey.prefix) == prefix))
    return result.scalar_one_or_none()


async def api_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.execute(select(ApiKey).order_by(col(ApiKey.id)))).scalars().all()


async def count_call(session: AsyncSession, api_key_id: int, window_start: datetime) -> int:
    """Add one call to the key's current minute and return the minute's count, atomically."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ApiKeyUsage)
        .values(api_key_id=api_key_id, window_start=window_start, calls=1)
        .on_conflict_do_update(
            index_elements=["api_key_id", "window_start"],
            set_={"calls": col(ApiKeyUsage.calls) + 1},
        )
        .returning(col(ApiKeyUsage.calls))
    )
    return int((await session.execute(statement)).scalar_one())


async def touch_api_key(session: AsyncSession, api_key_id: int, used_at: datetime) -> None:
    await session.execute(
        update(ApiKey).where(col(ApiKey.id) == api_key_id).values(last_used_at=used_at)
    )
