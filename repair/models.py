"""Objections (异议), credit repairs (信用修复), their append-only events and evidence files.

An objection or repair moves only through its workflow's `transition`; every move, extension and
escalation is a row of its event table. Evidence files live on disk under the var directory; the
database keeps what identifies them (name, type, size, SHA-256) and where they are.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Text, text
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in


class ObjectionStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"  # 受理
    NOT_ACCEPTED = "not_accepted"  # 不予受理, with a reason
    UNDER_REVIEW = "under_review"  # the target shows 异议中
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    DISMISSED = "dismissed"


class ObjectionTarget(StrEnum):
    RECORD = "record"
    RESULT = "result"
    LIST_ENTRY = "list_entry"
    POINTS = "points"  # a person's points from one record: target_id is the record


class RepairStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class RepairTarget(StrEnum):
    RECORD = "record"
    LIST_ENTRY = "list_entry"


class EvidencePurpose(StrEnum):
    EVIDENCE = "evidence"  # grounds of an objection, proof of corrected conduct
    COMMITMENT = "commitment"  # the signed 信用修复承诺书
    OBLIGATION = "obligation"  # fine paid, funds returned
    TRAINING = "training"  # a training certificate


class OwnerKind(StrEnum):
    OBJECTION = "objection"
    REPAIR = "repair"


OPEN_OBJECTION = text("status IN ('submitted', 'accepted', 'under_review')")
OPEN_REPAIR = text("status IN ('submitted', 'accepted', 'under_review')")


class _Case(SQLModel):
    """What objections and repairs share: who, against what, the deadlines and the decision."""

    subject_id: int = Field(sa_type=IdType, foreign_key="subject.id", index=True)
    target_type: str = Field(max_length=20)
    target_id: int = Field(sa_type=IdType)
    status: str = Field(max_length=20)
    # The national pack version whose deadlines and limits govern the case.
    pack_version_id: int = Field(sa_type=IdType, foreign_key="policy_pack_version.id")
    submitted_by: str = Field(max_length=120)
    submitted_role: str = Field(max_length=20)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    submitted_on: date  # Asia/Shanghai business date the working days count from
    # The deadline now running (acceptance, then decision) and whether the calendar knew every
    # day it counted (False: weekends-only fallback past the known years).
    deadline: date | None = None
    deadline_exact: bool = True
    accepted_by: str | None = Field(default=None, max_length=120)
    accepted_on: date | None = None
    reviewed_by: str | None = Field(default=None, max_length=120)  # opened the review
    decided_by: str | None = Field(default=None, max_length=120)
    decided_on: date | None = None
    decision_reason: str | None = Field(default=None, sa_type=Text)
    overdue_since: date | None = None  # the sweep escalated it
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Objection(_Case, table=True):
    __tablename__ = "objection"
    __table_args__ = (
        CheckConstraint(check_in("status", list(ObjectionStatus)), name="status"),
        CheckConstraint(check_in("target_type", list(ObjectionTarget)), name="target_type"),
        # One open objection per target and objector, whatever races.
        Index(
            "uq_objection_open",
            "target_type",
            "target_id",
            "subject_id",
            unique=True,
            sqlite_where=OPEN_OBJECTION,
            postgresql_where=OPEN_OBJECTION,
        ),
        Index("ix_objection_status_deadline", "status", "deadline"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    # The record the objection revises: the target record, the record behind disputed points,
    # or the record a result objection names; None for a list entry.
    record_id: int | None = Field(default=None, sa_type=IdType, foreign_key="credit_record.id")
    grounds: str = Field(sa_type=Text)
    requested_outcome: str | None = Field(default=None, sa_type=Text)
    extensions: int = 0
    # What a partly upheld decision changed, as the decision stated it.
    decided_changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Repair(_Case, table=True):
    __tablename__ = "credit_repair"
    __table_args__ = (
        CheckConstraint(check_in("status", list(RepairStatus)), name="status"),
        CheckConstraint(check_in("target_type", list(RepairTarget)), name="target_type"),
        Index(
            "uq_credit_repair_open",
            "target_type",
            "target_id",
            unique=True,
            sqlite_where=OPEN_REPAIR,
            postgresql_where=OPEN_REPAIR,
        ),
        Index("ix_credit_repair_status_deadline", "status", "deadline"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    statement: str = Field(sa_type=Text)  # how the conduct was corrected
    score_effect: str | None = Field(default=None, max_length=20)  # as applied on approval


class _Event(SQLModel):
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    action: str = Field(max_length=30)  # the status moved to, or extended / overdue / evidence
    actor: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    account_id: int | None = Field(default=None, sa_type=IdType)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = Field(default=None, sa_type=Text)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ObjectionEvent(_Event, table=True):
    __tablename__ = "objection_event"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    objection_id: int = Field(
        sa_column=Column(IdType, ForeignKey("objection.id"), nullable=False, index=True)
    )


class RepairEvent(_Event, table=True):
    __tablename__ = "credit_repair_event"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    repair_id: int = Field(
        sa_column=Column(IdType, ForeignKey("credit_repair.id"), nullable=False, index=True)
    )


class EvidenceFile(SQLModel, table=True):
    """A file sent with an objection or a repair; its bytes are on disk at `storage_key`."""

    __tablename__ = "evidence_file"
    __table_args__ = (
        CheckConstraint(check_in("owner_kind", list(OwnerKind)), name="owner_kind"),
        CheckConstraint(check_in("purpose", list(EvidencePurpose)), name="purpose"),
        Index("ix_evidence_file_owner", "owner_kind", "owner_id"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    owner_kind: str = Field(max_length=20)
    owner_id: int = Field(sa_type=IdType)
    subject_id: int = Field(sa_type=IdType, foreign_key="subject.id")
    purpose: str = Field(max_length=20)
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)  # as sniffed from the content, not as declared
    size: int
    sha256: str = Field(max_length=64)
    # Relative to the evidence directory; content-addressed, so a file is stored once.
    storage_key: str = Field(max_length=200)
    uploaded_by: str = Field(max_length=120)
    uploaded_role: str = Field(max_length=20)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
