"""Indicator sets, runs and results as the API speaks them (never the table models)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from credit.kernel.db import ID_MAX
from credit.records.schemas import RecordPublic
from indicators.models import RunStatus, SetStatus

SetId = Annotated[int, Field(ge=1, le=ID_MAX)]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
ProfileCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
Reason = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IndicatorSetCreate(Strict):
    """A new draft: its own document, or a copy of another version's (`copy_from`)."""

    profile_code: ProfileCode
    subject_kind: Annotated[str, Field(min_length=1, max_length=40)]
    title: Title
    document: dict[str, Any] | None = None
    copy_from: SetId | None = None


class IndicatorSetUpdate(Strict):
    title: Title | None = None
    document: dict[str, Any] | None = None


class TransitionRequest(Strict):
    reason: Reason | None = None


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    actor: str
    occurred_at: datetime
    reason: str | None


class IndicatorSetSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    profile_code: str
    profile_version_id: int
    subject_kind: str
    version: int
    title: str
    status: SetStatus
    created_by: str
    created_at: datetime
    updated_at: datetime


class IndicatorSetPublic(IndicatorSetSummary):
    document: dict[str, Any]
    events: list[EventPublic]


class IndicatorSetPage(BaseModel):
    items: list[IndicatorSetSummary]
    next_cursor: str | None


class EvaluationCreate(Strict):
    """Evaluate `cycle` for a scope as of a moment with fixed set versions."""

    cycle: Annotated[str, Field(min_length=4, max_length=7)]
    as_of: datetime | None = None
    set_ids: Annotated[list[SetId], Field(max_length=20)] = []
    profile_code: ProfileCode | None = None
    kinds: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] = []
    regions: Annotated[list[Annotated[str, Field(pattern=r"^\d{6}$")]], Field(max_length=200)] = []


class EvaluationRunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cycle: str
    cycle_start: date
    cycle_end: date
    as_of: datetime
    scope_kinds: list[str]
    scope_regions: list[str]
    set_ids: list[int]
    status: RunStatus
    started_by: str
    started_at: datetime
    subjects_evaluated: int
    corrects_run_id: int | None
    published_by: str | None
    published_at: datetime | None
    publicity_opened_on: date | None = None
    publicity_ends_on: date | None = None  # published no earlier than this day
    publicity_end_exact: bool | None = None  # False: the calendar only knew weekends


class EvaluationRunDetail(EvaluationRunPublic):
    events: list[EventPublic]


class EvaluationRunPage(BaseModel):
    items: list[EvaluationRunPublic]
    next_cursor: str | None


class EvaluationResultPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int
    subject_id: int
    set_id: int
    eligible: bool
    total: Decimal | None
    grade: str | None
    vetoed_by: str | None
    dimension_scores: dict[str, Any]
    contributions: list[dict[str, Any]]
    reason_codes: list[dict[str, Any]]
    under_objection: bool = False  # 异议中


class EvaluationResultPage(BaseModel):
    items: list[EvaluationResultPublic]
    next_cursor: str | None
    grade_counts: dict[str, int]


class SimulationCreate(Strict):
    name: Title
    baseline_run_id: SetId
    set_id: SetId


class SimulationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    baseline_run_id: int
    baseline_set_id: int
    set_id: int
    subject_kind: str
    population: int
    changed_count: int
    created_by: str
    created_at: datetime


class SimulationPublic(SimulationSummary):
    transition_matrix: dict[str, dict[str, int]]
    baseline_distribution: dict[str, Any]
    simulated_distribution: dict[str, Any]
    changed: list[dict[str, Any]]


class SimulationPage(BaseModel):
    items: list[SimulationSummary]
    next_cursor: str | None


class LiveScorePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cycle: str
    set_id: int
    profile_code: str
    eligible: bool
    total: Decimal | None
    grade: str | None
    vetoed_by: str | None
    dimension_scores: dict[str, Any]
    contributions: list[dict[str, Any]]
    reason_codes: list[dict[str, Any]]
    computed_at: datetime


class GradeHistoryEntry(BaseModel):
    run_id: int
    cycle: str
    status: RunStatus
    grade: str | None
    total: Decimal | None
    published_at: datetime | None


class CreditReportPublic(BaseModel):
    """The credit report: published grade, live score and reasons, history, recent records."""

    subject_id: int
    name: str
    kind: str
    current: EvaluationResultPublic | None
    current_cycle: str | None
    live: LiveScorePublic | None
    history: list[GradeHistoryEntry]
    records: list[RecordPublic]


class PointsEntry(BaseModel):
    record_id: int
    item_code: str
    decided_on: date
    tier: str
    points: int
    under_objection: bool = False  # 异议中: the record behind these points is disputed


class PointsSite(BaseModel):
    institution_id: int
    institution_name: str
    role: str
    qualification_status: str


class PointsLedgerPublic(BaseModel):
    """A person's payment-qualification points for one natural year."""

    model_config = ConfigDict(from_attributes=True)

    person_id: int
    year: int
    entries: list[PointsEntry]
    gross: int
    repair_credits: int
    total: int
    status: str
    interview: bool  # 约谈
    focus: bool  # on the focus list
    suspension_months: int | None
    suspended_from: date | None
    suspended_until: date | None  # the suspension's last day
    reregistration_barred_until: date | None
    # Care the fund still pays while the person is suspended or terminated (from the pack).
    still_paid: list[str]
    sites: list[PointsSite]
