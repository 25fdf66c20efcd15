"""A notification, its inbox rows (one per recipient account) and its outbox messages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(SQLModel, table=True):
    """What was said, once; `dedupe_key` makes a repeated call (a sweep run twice) a no-op."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    kind: str = Field(max_length=60, index=True)
    title: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    link: str | None = Field(default=None, max_length=400)
    # The subject the notification is about or addressed to (None for officers' broadcasts).
    subject_id: int | None = Field(
        default=None, sa_column=Column(IdType, ForeignKey("subject.id"), nullable=True, index=True)
    )
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class InboxItem(SQLModel, table=True):
    """One notification in one account's inbox, with that account's read mark."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        UniqueConstraint("notification_id", "account_id"),
        Index("ix_inbox_item_account_unread", "account_id", "read_at"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    notification_id: int = Field(
        sa_column=Column(IdType, ForeignKey("notification.id"), nullable=False)
    )
    account_id: int = Field(sa_column=Column(IdType, ForeignKey("account.id"), nullable=False))
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """A message for the gateway: an account, or a subject with no account (its own contacts)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(
            check_in("status", [str(status) for status in OutboxStatus]), name="status"
        ),
        CheckConstraint("account_id IS NOT NULL OR subject_id IS NOT NULL", name="has_recipient"),
        Index("ix_outbox_message_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    notification_id: int = Field(
        sa_column=Column(IdType, ForeignKey("notification.id"), nullable=False, index=True)
    )
    account_id: int | None = Field(
        default=None, sa_column=Column(IdType, ForeignKey("account.id"), nullable=True)
    )
    subject_id: int | None = Field(
        default=None, sa_column=Column(IdType, ForeignKey("subject.id"), nullable=True)
    )
    status: str = Field(default=OutboxStatus.PENDING, max_length=10)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
