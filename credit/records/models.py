"""Credit records (信用信息记录) and their revisions.

`credit_record` keeps a record exactly as its source sent it: never updated, never deleted. Every
state the record has been in is a row of `credit_record_revision`, known from `known_from` until
`known_until` (open while current); revision 1 is the record as received. A correction, a
revocation, a repair or an expiry closes the current revision and opens the next one, so any past
moment can be read back exactly as it was known.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, Money, UTCDateTime, check_in
from credit.policy.vocabulary import Category, Severity

CURRENT = text("known_until IS NULL")
"""The condition that picks the current revision of each record."""


class RecordStatus(StrEnum):
    """Where a record stands; it moves only through `credit.records.workflow.transition`."""

    ACTIVE = "active"
    UNDER_OBJECTION = "under_objection"  # 异议中: shown flagged wherever the record shows
    CORRECTED = "corrected"
    REVOKED = "revoked"  # objection upheld or decision overturned: as if never decided
    REPAIRED = "repaired"  # 信用修复: publication stopped early
    EXPIRED = "expired"  # the publication period ran out


def _facts_constraints() -> tuple[Any, ...]:
    """Constraints on the facts both tables carry."""
    return (
        CheckConstraint(check_in("category", list(Category)), name="category"),
        CheckConstraint(
            f"severity IS NULL OR {check_in('severity', list(Severity))}", name="severity"
        ),
        CheckConstraint(
            "occurred_on IS NULL OR occurred_on <= decided_on", name="occurred_before_decision"
        ),
        CheckConstraint(
            "amount_involved IS NULL OR amount_involved >= 0", name="amount_not_negative"
        ),
        CheckConstraint("fine_amount IS NULL OR fine_amount >= 0", name="fine_not_negative"),
        CheckConstraint(
            "publish_until IS NULL OR publish_until >= publish_from", name="publication_in_order"
        ),
    )


class RecordFacts(SQLModel):
    """What a record says, as of one revision; publication is derived from it and the policy."""

    subject_id: int = Field(sa_type=IdType, foreign_key="subject.id")
    item_code: str = Field(max_length=64)
    # The policy pack version whose catalog defined the item at the decision date.
    pack_version_id: int = Field(sa_type=IdType, foreign_key="policy_pack_version.id")
    category: str = Field(max_length=20)
    severity: str | None = Field(default=None, max_length=10)
    occurred_on: date | None = None
    decided_on: date  # 决定日期: the record is valid from here, publication counts from here
    document_no: str | None = Field(default=None, max_length=100)  # 文号
    legal_basis: str | None = Field(default=None, sa_type=Text)
    amount_involved: Decimal | None = Field(default=None, sa_type=Money)
    fine_amount: Decimal | None = Field(default=None, sa_type=Money)
    rule_code: str | None = Field(default=None, max_length=40)
    # [{"subject_id": 7, "tier": "principal"}, ...] sorted by subject id.
    responsible: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Publication window, both days inclusive; `published` False keeps it off public pages and
    # no window at all means the item is never published (positive information, for one).
    published: bool
    publish_from: date | None = None
    publish_until: date | None = None


class CreditRecord(RecordFacts, table=True):
    """A record as received, with where it came from; revision 1 repeats its facts."""

    __tablename__ = "credit_record"
    __table_args__ = (
        *_facts_constraints(),
        # The reference leads: look-ups name many references of one system at a time, and a
        # leading source_system would make the database filter every row of that system.
        UniqueConstraint("source_ref", "source_system"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    source_system: str = Field(max_length=40)
    source_ref: str = Field(max_length=100)
    # SHA-256 of the normalised payload: the same payload again is recognised as unchanged.
    payload_digest: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=120)
    # One value per ingest call: which import stored the record. Each chunk's revisions are
    # copied by one INSERT … SELECT over the chunk's id range, filtered by this value (no index:
    # the range is found by the primary key).
    ingest_batch: str = Field(max_length=32)


class RecordRevision(RecordFacts, table=True):
    """One state of a record, known from `known_from` until `known_until` (open while current)."""

    __tablename__ = "credit_record_revision"
    __table_args__ = (
        *_facts_constraints(),
        CheckConstraint(check_in("status", list(RecordStatus)), name="status"),
        CheckConstraint("known_until IS NULL OR known_until >= known_from", name="known_in_order"),
        UniqueConstraint("record_id", "revision"),
        # At most one current revision per record, whatever races.
        Index(
            "uq_credit_record_revision_current",
            "record_id",
            unique=True,
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        ),
        Index("ix_credit_record_revision_subject", "subject_id", "record_id"),
        # The publication sweep looks only at current revisions past their window.
        Index(
            "ix_credit_record_revision_current_until",
            "publish_until",
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        ),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    record_id: int = Field(sa_column=Column(IdType, ForeignKey("credit_record.id"), nullable=False))
    revision: int
    status: str = Field(max_length=20)
    # {field: {"from": old, "to": new}} for what this revision changed; empty for revision 1.
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reason: str | None = Field(default=None, sa_type=Text)
    actor: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    account_id: int | None = Field(default=None, sa_type=IdType)
    known_from: datetime = Field(sa_type=UTCDateTime)
    known_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A repair whose score effect waits for the next cycle (policy `score_effect: next_cycle`):
    # the repaired record still counts in every cycle that starts on or before this date.
    repair_counts_until: date | None = None


# The tables behind the table models, typed (SQLModel leaves `__table__` untyped).
RECORD_TABLE = SQLModel.metadata.tables["credit_record"]
REVISION_TABLE = SQLModel.metadata.tables["credit_record_revision"]
