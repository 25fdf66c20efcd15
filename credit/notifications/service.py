"""Send notifications into inboxes and the outbox; read them; record what the gateway did."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy.ext.asyncio import AsyncSession

from credit.accounts.models import ACCOUNT_ROLES
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.notifications import repository
from credit.notifications.models import InboxItem, Notification, OutboxMessage, OutboxStatus
from credit.notifications.schemas import (
    InboxItemPublic,
    InboxPage,
    OutboxMessagePublic,
    OutboxPage,
)


async def notify(
    session: AsyncSession,
    *,
    kind: str,
    title: str,
    body: str,
    subject_id: int | None = None,
    account_id: int | None = None,
    role: str | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Put a notification in its recipients' inboxes and queue it for the mail/SMS gateway.

    Recipients: `account_id` and/or every active account of `role`; when neither is given, the
    accounts of `subject_id` (then `subject_id` is also what the notification is about). A second
    call with the same `dedupe_key` does nothing, so a sweep that runs twice notifies once.
    """
    if account_id is None and role is None and subject_id is None:
        raise InvalidInput(
            "a notification needs a recipient: subject_id, account_id or role",
            field="recipient",
            rule="required",
        )
    if role is not None and role not in {str(known) for known in ACCOUNT_ROLES}:
        raise InvalidInput(f"no accounts have the role {role!r}", field="role", rule="known_role")
    for name, value, longest in (("dedupe_key", dedupe_key, 200), ("link", link, 400)):
        if value is not None and len(value) > longest:
            raise InvalidInput(
                f"{name} is longer than {longest} characters", field=name, rule="max_length"
            )
    if account_id is not None and not await repository.account_exists(session, account_id):
        raise NotFound(f"account {account_id} does not exist", field="account_id")
    now = utcnow()
    notification_id = await repository.insert_notification(
        session,
        {
            "kind": kind,
            "title": title[:200],
            "body": body[:4000],
            "link": link,
            "subject_id": subject_id,
            "dedupe_key": dedupe_key,
            "created_at": now,
        },
    )
    if notification_id is None:
        return  # already sent under this dedupe key
    recipients: list[int] = []
    if account_id is not None:
        recipients.append(account_id)
    if role is not None:
        recipients += await repository.active_account_ids(session, role=role)
    if account_id is None and role is None:
        recipients += await repository.active_account_ids(session, subject_id=subject_id)
    recipients = sorted(set(recipients))
    for recipient in recipients:
        session.add(InboxItem(notification_id=notification_id, account_id=recipient))
        session.add(
            OutboxMessage(
                notification_id=notification_id,
                account_id=recipient,
                created_at=now,
                updated_at=now,
            )
        )
    if not recipients and subject_id is not None:
        # A subject with no account yet is still told, through the contacts it registered.
        session.add(
            OutboxMessage(
                notification_id=notification_id,
                subject_id=subject_id,
                created_at=now,
                updated_at=now,
            )
        )
    await session.flush()


def _encode_inbox_cursor(unread: bool, last_id: int) -> str:
    raw = f"{'u' if unread else 'r'}:{last_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_inbox_cursor(cursor: str | None) -> tuple[bool, int | None]:
    """(reading the unread part, id after which to continue)."""
    if not cursor:
        return True, None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        part, _, value = raw.partition(":")
        if part not in {"u", "r"} or not value.isdigit():
            raise ValueError(raw)
        return part == "u", int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not one this API issued", field="cursor", rule="opaque_cursor"
        ) from None


async def inbox(
    session: AsyncSession, account_id: int, *, cursor: str | None, limit: int
) -> InboxPage:
    """The account's notifications: unread first, then read, each newest first."""
    unread, after_id = _decode_inbox_cursor(cursor)
    rows = list(
        await repository.inbox_page(
            session, account_id, unread=unread, after_id=after_id, limit=limit
        )
    )
    if unread and len(rows) < limit:
        # The unread part ended on this page: fill it from the read part.
        rows += await repository.inbox_page(
            session, account_id, unread=False, after_id=None, limit=limit - len(rows)
        )
    next_cursor = None
    if len(rows) == limit:
        last_item = rows[-1][0]
        assert last_item.id is not None
        next_cursor = _encode_inbox_cursor(last_item.read_at is None, last_item.id)
    return InboxPage(
        items=[_inbox_public(item, notification) for item, notification in rows],
        next_cursor=next_cursor,
        unread=await repository.unread_count(session, account_id),
    )


async def mark_read(session: AsyncSession, account_id: int, item_id: int) -> InboxItemPublic:
    """Mark one of the account's items read (again is harmless); others' items do not exist."""
    found = await repository.inbox_item(session, item_id, account_id)
    if found is None:
        raise NotFound(f"inbox item {item_id} not found", field="id")
    item, notification = found
    if item.read_at is None:
        item.read_at = utcnow()
        session.add(item)
        await session.flush()
    return _inbox_public(item, notification)


async def outbox(
    session: AsyncSession, *, status: OutboxStatus | None, after_id: int | None, limit: int
) -> OutboxPage:
    rows = await repository.outbox_page(
        session, status=None if status is None else str(status), after_id=after_id, limit=limit
    )
    items = [_outbox_public(message, notification) for message, notification in rows]
    return OutboxPage(
        items=items,
        next_cursor=str(items[-1].id) if len(items) == limit else None,
    )


async def mark_sent(session: AsyncSession, message_id: int) -> OutboxMessagePublic:
    message, notification = await _message(session, message_id)
    if message.status == OutboxStatus.SENT:
        raise Conflict(f"outbox message {message_id} was already sent", rule="already_sent")
    now = utcnow()
    message.status = OutboxStatus.SENT
    message.attempts += 1
    message.sent_at = now
    message.updated_at = now
    session.add(message)
    await session.flush()
    return _outbox_public(message, notification)


async def mark_failed(
    session: AsyncSession, message_id: int, *, error: str, retry: bool
) -> OutboxMessagePublic:
    """Count a failed attempt; `retry` leaves the message pending for the next drain."""
    message, notification = await _message(session, message_id)
    if message.status == OutboxStatus.SENT:
        raise Conflict(f"outbox message {message_id} was already sent", rule="already_sent")
    message.status = OutboxStatus.PENDING if retry else OutboxStatus.FAILED
    message.attempts += 1
    message.last_error = error[:1000]
    message.updated_at = utcnow()
    session.add(message)
    await session.flush()
    return _outbox_public(message, notification)


async def _message(session: AsyncSession, message_id: int) -> tuple[OutboxMessage, Notification]:
    found = await repository.outbox_message(session, message_id, for_update=True)
    if found is None:
        raise NotFound(f"outbox message {message_id} not found", field="id")
    return found


def _inbox_public(item: InboxItem, notification: Notification) -> InboxItemPublic:
    assert item.id is not None
    return InboxItemPublic(
        id=item.id,
        kind=notification.kind,
        title=notification.title,
        body=notification.body,
        link=notification.link,
        subject_id=notification.subject_id,
        created_at=notification.created_at,
        read_at=item.read_at,
    )


def _outbox_public(message: OutboxMessage, notification: Notification) -> OutboxMessagePublic:
    assert message.id is not None
    return OutboxMessagePublic(
        id=message.id,
        notification_id=message.notification_id,
        kind=notification.kind,
        title=notification.title,
        body=notification.body,
        link=notification.link,
        account_id=message.account_id,
        subject_id=message.subject_id,
        status=message.status,
        attempts=message.attempts,
        last_error=message.last_error,
        created_at=message.created_at,
        sent_at=message.sent_at,
    )
