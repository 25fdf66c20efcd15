"""List entries (名单条目), their append-only events, and the subject's statement and defence.

An entry's status moves only through `credit.lists.workflow.transition`; every move is a
`list_entry_event` row carrying the validity the entry had after it, so what was in force at any
past moment can be read back from the events alone (`credit.lists.history.in_force`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in
from credit.policy.vocabulary import ListName


class EntryStatus(StrEnum):
    """Every state of the three procedures; each list uses its own subset (see workflow)."""

    CANDIDATE = "candidate"  # red: found automatically, not yet looked at
    PROPOSED = "proposed"  # black, focus: put forward by an officer or automatically
    NOTIFIED = "notified"  # black: notice (告知书) served, the defence period runs
    DECIDED = "decided"  # black: decided by a reviewer other than the proposer
    APPROVED = "approved"  # focus, red: approved by a reviewer other than the proposer
    PUBLICITY = "publicity"  # black, red: 公示, objections open
    PUBLISHED = "published"  # black, red: in force, public and sent to partners
    LISTED = "listed"  # focus: in force, partners with scope only
    REMOVED = "removed"  # was in force, ended for a removal reason
    DROPPED = "dropped"  # refused or abandoned before it came into force


class RemovalReason(StrEnum):
    EXPIRED = "expired"  # the validity period ran out (the sweep)
    REPAIRED = "repaired"  # 信用修复 approved
    REVOKED = "revoked"  # objection upheld, or the grounds fell away (a new negative record)
    OVERTURNED = "overturned"  # administrative review or lawsuit
    SUPERSEDED = "superseded"  # replaced by another entry


CLOSED = (EntryStatus.REMOVED, EntryStatus.DROPPED)
OPEN_ENTRY = text("status NOT IN ('removed', 'dropped')")
"""The condition that picks entries still in the procedure or in force."""


class ListEntry(SQLModel, table=True):
    __tablename__ = "list_entry"
    __table_args__ = (
        CheckConstraint(check_in("list_name", list(ListName)), name="list_name"),
        CheckConstraint(check_in("status", list(EntryStatus)), name="status"),
        CheckConstraint(
            f"removal_reason IS NULL OR {check_in('removal_reason', list(RemovalReason))}",
            name="removal_reason",
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from",
            name="valid_in_order",
        ),
        # One open entry per subject and list, whatever races.
        Index(
            "uq_list_entry_open",
            "list_name",
            "subject_id",
            unique=True,
            sqlite_where=OPEN_ENTRY,
            postgresql_where=OPEN_ENTRY,
        ),
        Index("ix_list_entry_list_name_status", "list_name", "status"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    list_name: str = Field(max_length=10)
    subject_id: int = Field(sa_type=IdType, foreign_key="subject.id", index=True)
    status: str = Field(max_length=20)
    criterion_code: str = Field(max_length=64)
    # What the subject did, in words it understands; the basis the notice and the entry cite.
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    legal_basis: str = Field(default="", sa_type=Text)
    record_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    # The policy pack version whose list rules governed the proposal.
    pack_version_id: int = Field(sa_type=IdType, foreign_key="policy_pack_version.id")
    automatic: bool = False
    proposed_by: str = Field(max_length=120)
    proposed_at: datetime = Field(sa_type=UTCDateTime)
    # When the subject was first told (black: notified; focus, red: approved); before that the
    # entry is an internal proposal its subject does not see.
    disclosed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notice_deadline: date | None = None  # last day to state and defend (black)
    notice_deadline_exact: bool = True  # False: counted past the known calendar, weekends only
    decided_by: str | None = Field(default=None, max_length=120)
    decided_on: date | None = None
    decision_note: str | None = Field(default=None, sa_type=Text)  # how the defence was weighed
    publicity_until: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    removal_reason: str | None = Field(default=None, max_length=20)
    removed_on: date | None = None
    # 异议中: an objection against the entry is under review; shown wherever the entry shows.
    under_objection: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ListEntryEvent(SQLModel, table=True):
    """One status change or amendment of an entry; rows are only ever added."""

    __tablename__ = "list_entry_event"
    __table_args__ = (Index("ix_list_entry_event_entry_id_id", "entry_id", "id"),)

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    entry_id: int = Field(sa_column=Column(IdType, ForeignKey("list_entry.id"), nullable=False))
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    account_id: int | None = Field(default=None, sa_type=IdType)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    reason: str | None = Field(default=None, sa_type=Text)
    documents: list[str] = Field(default_factory=list, sa_type=JSON)  # 文号, file references
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The entry's validity after this event: the history alone answers "in force at t".
    valid_from: date | None = None
    valid_until: date | None = None


class ListEntryDefence(SQLModel, table=True):
    """A statement and defence (陈述申辩) the subject submitted within the notice period."""

    __tablename__ = "list_entry_defence"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    entry_id: int = Field(
        sa_column=Column(IdType, ForeignKey("list_entry.id"), nullable=False, index=True)
    )
    statement: str = Field(sa_type=Text)
    submitted_by: str = Field(max_length=120)
    submitted_role: str = Field(max_length=20)
    submitted_at: datetime = Field(sa_type=UTCDateTime)


class ListEntryAttachment(SQLModel, table=True):
    """A file sent with a defence, kept in the database so it commits with the defence."""

    __tablename__ = "list_entry_attachment"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    defence_id: int = Field(
        sa_column=Column(IdType, ForeignKey("list_entry_defence.id"), nullable=False, index=True)
    )
    entry_id: int = Field(sa_type=IdType, foreign_key="list_entry.id")
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
