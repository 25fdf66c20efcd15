"""Pack versions and their append-only workflow events."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in
from credit.policy.vocabulary import PackKind


class PackStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


# Versions that were approved: the regime for a date is chosen among these.
ACTIVATED = (PackStatus.ACTIVE, PackStatus.SUPERSEDED)


class PackVersion(SQLModel, table=True):
    """One version of a pack; its document never changes once submitted."""

    __tablename__ = "policy_pack_version"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint(check_in("status", list(PackStatus)), name="status"),
        CheckConstraint(check_in("kind", list(PackKind)), name="kind"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    code: str = Field(max_length=64, index=True)
    version: int
    title: str = Field(max_length=500)
    kind: str = Field(max_length=30)
    status: str = Field(max_length=20, index=True)
    effective_from: date
    document: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(max_length=120)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    submitted_by: str | None = Field(default=None, max_length=120)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=120)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PackEvent(SQLModel, table=True):
    """A status change of a pack version; rows are only ever added."""

    __tablename__ = "policy_pack_event"
    __table_args__ = (CheckConstraint(check_in("to_status", list(PackStatus)), name="to_status"),)

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    pack_version_id: int = Field(
        sa_column=Column(IdType, ForeignKey("policy_pack_version.id"), nullable=False, index=True)
    )
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PackEventPublic(SQLModel):
    from_status: str | None
    to_status: str
    actor: str
    actor_role: str
    occurred_at: datetime
    reason: str | None


class PackVersionSummary(SQLModel):
    """A version as lists show it, without its document."""

    id: int
    code: str
    version: int
    title: str
    kind: str
    status: str
    effective_from: date
    sha256: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None


class PackVersionPublic(PackVersionSummary):
    """A version with its document and its workflow history."""

    document: dict[str, Any]
    events: list[PackEventPublic]
