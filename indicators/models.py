"""Indicator set versions, evaluation runs, their results and their append-only events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, Money, UTCDateTime, check_in


class SetStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class RunStatus(StrEnum):
    COMPUTED = "computed"
    IN_REVIEW = "in_review"
    PUBLICITY = "publicity"  # 公示: objections open
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class IndicatorSet(SQLModel, table=True):
    """One version of the indicator set for a subject kind under a profile."""

    __tablename__ = "indicator_set"
    __table_args__ = (
        UniqueConstraint("profile_code", "subject_kind", "version"),
        CheckConstraint(check_in("status", list(SetStatus)), name="status"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    profile_code: str = Field(max_length=64, index=True)
    # The profile version whose base, modules and bands the set uses, pinned for reproducibility.
    profile_version_id: int = Field(sa_type=IdType, foreign_key="policy_pack_version.id")
    subject_kind: str = Field(max_length=40)
    version: int
    title: str = Field(max_length=200)
    status: str = Field(max_length=10, index=True)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class IndicatorSetEvent(SQLModel, table=True):
    __tablename__ = "indicator_set_event"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    set_id: int = Field(
        sa_column=Column(IdType, ForeignKey("indicator_set.id"), nullable=False, index=True)
    )
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EvaluationRun(SQLModel, table=True):
    """One cycle for a scope as of a moment with fixed set versions; results never change."""

    __tablename__ = "evaluation_run"
    __table_args__ = (CheckConstraint(check_in("status", list(RunStatus)), name="status"),)

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    cycle: str = Field(max_length=7, index=True)  # 2025, 2026Q3, 2026-03
    cycle_start: date
    cycle_end: date
    as_of: datetime = Field(sa_type=UTCDateTime)
    scope_kinds: list[str] = Field(sa_column=Column(JSON, nullable=False))
    scope_regions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    set_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20, index=True)
    started_by: str = Field(max_length=120)
    started_at: datetime = Field(sa_type=UTCDateTime)
    subjects_evaluated: int = 0
    # A correction run re-evaluates only the subjects whose information changed after the
    # corrected run's as_of; once published, its results supersede theirs in that run.
    corrects_run_id: int | None = Field(
        default=None, sa_type=IdType, foreign_key="evaluation_run.id"
    )
    published_by: str | None = Field(default=None, max_length=120)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # 公示: opened on a Shanghai business date, it lasts the profile's working days; the run is
    # published no earlier than `publicity_ends_on`. `publicity_end_exact` is False when the
    # calendar only knew weekends for some of those days.
    publicity_opened_on: date | None = None
    publicity_ends_on: date | None = None
    publicity_end_exact: bool | None = None


class EvaluationRunEvent(SQLModel, table=True):
    __tablename__ = "evaluation_run_event"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    run_id: int = Field(
        sa_column=Column(IdType, ForeignKey("evaluation_run.id"), nullable=False, index=True)
    )
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EvaluationResult(SQLModel, table=True):
    """A subject's result in a run, with every contribution and its top reasons; never updated."""

    __tablename__ = "evaluation_result"
    __table_args__ = (
        UniqueConstraint("run_id", "subject_id"),
        Index("ix_evaluation_result_run_grade", "run_id", "grade"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    run_id: int = Field(sa_column=Column(IdType, ForeignKey("evaluation_run.id"), nullable=False))
    subject_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), nullable=False, index=True)
    )
    set_id: int = Field(sa_type=IdType, foreign_key="indicator_set.id")
    eligible: bool
    # Points are exact hundredths (Money stores them as integers on every database).
    total: Decimal | None = Field(default=None, sa_type=Money)
    grade: str | None = Field(default=None, max_length=1)
    vetoed_by: str | None = Field(default=None, max_length=40)
    dimension_scores: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    contributions: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reason_codes: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    # 异议中: an objection against the result is under review. The only column ever changed
    # after a result is written; what it says about the subject never changes.
    under_objection: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


SET_TABLE = SQLModel.metadata.tables["indicator_set"]
RUN_TABLE = SQLModel.metadata.tables["evaluation_run"]
RESULT_TABLE = SQLModel.metadata.tables["evaluation_result"]


class Simulation(SQLModel, table=True):
    """A saved what-if: a set version over a baseline run's data; never published."""

    __tablename__ = "simulation"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    baseline_run_id: int = Field(sa_type=IdType, foreign_key="evaluation_run.id")
    baseline_set_id: int = Field(sa_type=IdType, foreign_key="indicator_set.id")
    set_id: int = Field(sa_type=IdType, foreign_key="indicator_set.id")
    subject_kind: str = Field(max_length=40)
    population: int
    # {baseline grade: {simulated grade: count}}; `not_evaluated` stands for ineligible subjects.
    transition_matrix: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    baseline_distribution: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    simulated_distribution: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changed_count: int
    # The first subjects whose grade changed, with the indicators that moved (bounded list).
    changed: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)
