"""What the inbox and the outbox answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from credit.kernel.errors import PRINTABLE_TEXT


class InboxItemPublic(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    link: str | None
    subject_id: int | None
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    items: list[InboxItemPublic]
    next_cursor: str | None
    unread: int


class OutboxMessagePublic(BaseModel):
    id: int
    notification_id: int
    kind: str
    title: str
    body: str
    link: str | None
    # Who to reach: an account, or (when the subject has no account) the subject's own contacts.
    account_id: int | None
    subject_id: int | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxPage(BaseModel):
    items: list[OutboxMessagePublic]
    next_cursor: str | None


class DeliveryFailure(BaseModel):
    """The gateway's report of a failed delivery; `retry` puts the message back in the queue."""

    error: str = Field(min_length=1, max_length=1000, pattern=PRINTABLE_TEXT)
    retry: bool = False
