"""One row per run of a job, unique on (job, scheduled_for): the insert is the claim."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in


class JobRunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class JobTrigger(StrEnum):
    SCHEDULE = "schedule"  # a due slot, run on time
    CATCH_UP = "catch_up"  # the latest of the slots missed while no scheduler ran
    MANUAL = "manual"  # an admin asked for it


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job", "scheduled_for"),
        CheckConstraint(
            check_in("status", [str(status) for status in JobRunStatus]), name="status"
        ),
        CheckConstraint(check_in("trigger", [str(kind) for kind in JobTrigger]), name="trigger"),
        Index("ix_job_run_job_started_at", "job", "started_at"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    job: str = Field(max_length=60)
    # The slot this run stands for (for a manual run, the moment it was asked for).
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    trigger: str = Field(max_length=10)
    status: str = Field(max_length=10)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message: str | None = Field(default=None, max_length=2000)
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Which scheduler process claimed the run (host:pid), for the operator reading the table.
    claimed_by: str = Field(max_length=120)
