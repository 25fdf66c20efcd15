"""Queries on notifications, inbox rows and outbox messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.accounts.models import Account
from credit.notifications.models import InboxItem, Notification, OutboxMessage


async def insert_notification(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a notification; None when one with the same dedupe key already exists."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(col(Notification.id))
    )
    found = (await session.execute(statement)).scalar_one_or_none()
    return None if found is None else int(found)


async def active_account_ids(
    session: AsyncSession, *, subject_id: int | None = None, role: str | None = None
) -> list[int]:
    query = select(col(Account.id)).where(col(Account.active)).order_by(col(Account.id))
    if subject_id is not None:
        query = query.where(col(Account.subject_id) == subject_id)
    if role is not None:
        query = query.where(col(Account.role) == role)
    return [int(found) for found in (await session.execute(query)).scalars().all() if found]


async def account_exists(session: AsyncSession, account_id: int) -> bool:
    return await session.get(Account, account_id) is not None


async def inbox_page(
    session: AsyncSession, account_id: int, *, unread: bool, after_id: int | None, limit: int
) -> Sequence[tuple[InboxItem, Notification]]:
    """One account's unread (or read) items, newest first."""
    read_at = col(InboxItem.read_at)
    query = (
        select(InboxItem, Notification)
        .join(Notification, col(Notification.id) == col(InboxItem.notification_id))
        .where(col(InboxItem.account_id) == account_id)
        .where(read_at.is_(None) if unread else read_at.is_not(None))
        .order_by(col(InboxItem.id).desc())
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(col(InboxItem.id) < after_id)
    rows = (await session.execute(query)).all()
    return [(item, notification) for item, notification in rows]


async def unread_count(session: AsyncSession, account_id: int) -> int:
    query = (
        select(func.count())
        .select_from(InboxItem)
        .where(col(InboxItem.account_id) == account_id, col(InboxItem.read_at).is_(None))
    )
    return int((await session.execute(query)).scalar_one())


async def inbox_item(
    session: AsyncSession, item_id: int, account_id: int
) -> tuple[InboxItem, Notification] | None:
    query = (
        select(InboxItem, Notification)
        .join(Notification, col(Notification.id) == col(InboxItem.notification_id))
        .where(col(InboxItem.id) == item_id, col(InboxItem.account_id) == account_id)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def outbox_page(
    session: AsyncSession, *, status: str | None, after_id: int | None, limit: int
) -> Sequence[tuple[OutboxMessage, Notification]]:
    query = (
        select(OutboxMessage, Notification)
        .join(Notification, col(Notification.id) == col(OutboxMessage.notification_id))
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status)
    if after_id is not None:
        query = query.where(col(OutboxMessage.id) > after_id)
    rows = (await session.execute(query)).all()
    return [(message, notification) for message, notification in rows]


async def outbox_message(
    session: AsyncSession, message_id: int, *, for_update: bool = False
) -> tuple[OutboxMessage, Notification] | None:
    query = (
        select(OutboxMessage, Notification)
        .join(Notification, col(Notification.id) == col(OutboxMessage.notification_id))
        .where(col(OutboxMessage.id) == message_id)
    )
    if for_update:
        query = query.with_for_update(of=OutboxMessage)
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])
