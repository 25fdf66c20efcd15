"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime


class AuditEventPublic(SQLModel):
    seq: int
    occurred_at: datetime
    actor: str
    actor_role: str
    account_id: int | None
    action: str
    target_type: str
    target_id: str
    change: str
    change_digest: str
    prev_hash: str
    hash: str


class AuditEvent(AuditEventPublic, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    seq: int = Field(sa_type=IdType, unique=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    account_id: int | None = Field(default=None, sa_type=IdType)
    action: str = Field(max_length=80, index=True)
    target_type: str = Field(max_length=40)
    target_id: str = Field(max_length=80)
    change: str = Field(sa_column=Column(Text, nullable=False))
    change_digest: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
