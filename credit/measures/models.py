"""Measure assignments derived from a subject's standing, and the agencies' feedback on them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Text, text
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in


class AssignmentStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class EndReason(StrEnum):
    TRIGGER_ENDED = "trigger_ended"  # the grade, list entry, points or status no longer holds
    DURATION_ELAPSED = "duration_elapsed"  # the measure's duration_months ran out
    MEASURE_WITHDRAWN = "measure_withdrawn"  # the pack in force no longer has it for this kind


class FeedbackOutcome(StrEnum):
    """实施反馈: what the implementing agency did with the assignment."""

    APPLIED = "applied"
    NOT_APPLICABLE = "not_applicable"
    FAILED = "failed"


_ACTIVE_ONLY = text("status = 'active'")


class MeasureAssignment(SQLModel, table=True):
    """A catalog measure applied to a subject by an agency while its trigger holds.

    The measure applies on [starts_on, ends_on): an active assignment's ends_on is the planned
    end of a measure with a duration (None: as long as the trigger holds); an ended one's is the
    day it stopped.
    """

    __tablename__ = "measure_assignment"
    __table_args__ = (
        CheckConstraint(check_in("status", list(AssignmentStatus)), name="status"),
        CheckConstraint(
            f"end_reason IS NULL OR {check_in('end_reason', list(EndReason))}", name="end_reason"
        ),
        CheckConstraint(
            f"feedback_outcome IS NULL OR {check_in('feedback_outcome', list(FeedbackOutcome))}",
            name="feedback_outcome",
        ),
        CheckConstraint(
            "status = 'active' OR (ends_on IS NOT NULL AND end_reason IS NOT NULL)",
            name="ended_says_when_and_why",
        ),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        # One active assignment per measure and subject; ended ones stay as history.
        Index(
            "uq_measure_assignment_active",
            "subject_id",
            "measure_code",
            unique=True,
            sqlite_where=_ACTIVE_ONLY,
            postgresql_where=_ACTIVE_ONLY,
        ),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    measure_code: str = Field(max_length=64, index=True)
    measure_type: str = Field(max_length=20)  # incentive / discipline, as the catalog said
    pack_version_id: int = Field(sa_type=IdType, foreign_key="policy_pack_version.id")
    subject_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), nullable=False, index=True)
    )
    agency: str = Field(max_length=40, index=True)
    # What fired: grade:D@2025, list:black#entry 12, points:9@2026, qualification:suspended.
    trigger: str = Field(max_length=120)
    starts_on: date
    ends_on: date | None = None
    status: str = Field(max_length=10, index=True)
    end_reason: str | None = Field(default=None, max_length=30)
    feedback_outcome: str | None = Field(default=None, max_length=20)
    feedback_on: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MeasureFeedback(SQLModel, table=True):
    """One report from the implementing agency; rows are only ever added."""

    __tablename__ = "measure_feedback"
    __table_args__ = (CheckConstraint(check_in("outcome", list(FeedbackOutcome)), name="outcome"),)

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    assignment_id: int = Field(
        sa_column=Column(IdType, ForeignKey("measure_assignment.id"), nullable=False, index=True)
    )
    outcome: str = Field(max_length=20)
    occurred_on: date  # when the agency applied it, found it not applicable, or failed
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    agency: str = Field(max_length=40)
    actor: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)


ASSIGNMENT_TABLE = SQLModel.metadata.tables["measure_assignment"]
FEEDBACK_TABLE = SQLModel.metadata.tables["measure_feedback"]
