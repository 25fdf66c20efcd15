"""What the objection and repair API takes and answers; table models are never answered."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from credit.kernel.db import ID_MAX
from credit.lists.schemas import LONG_TEXT
from repair.models import ObjectionTarget, RepairTarget

PositiveId = Annotated[int, Field(ge=1, le=ID_MAX)]
LongText = Annotated[str, Field(max_length=20_000, pattern=LONG_TEXT)]
Reason = Annotated[str, Field(max_length=2000, pattern=LONG_TEXT)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ObjectionCreate(_Input):
    """A subject disputes a record, a result, a list entry or its points from one record.

    `grounds` are required (checked by the service, so the answer names the rule). For a
    result, `record_id` may name the record the subject believes wrong. An officer registering
    an objection received on paper names the objecting `subject_id` for points.
    """

    target_type: ObjectionTarget
    target_id: PositiveId
    grounds: LongText | None = None
    requested_outcome: LongText | None = None
    record_id: PositiveId | None = None
    subject_id: PositiveId | None = None


class ObjectionStep(StrEnum):
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    UNDER_REVIEW = "under_review"
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    DISMISSED = "dismissed"
    EXTENDED = "extended"  # the decision deadline, once, with a reason


class ObjectionTransition(_Input):
    """One step; `corrections` (record fields) or `entry_changes` (reasons, legal_basis,
    valid_until) say what a partly upheld decision changes."""

    to: ObjectionStep
    reason: Reason | None = None
    corrections: dict[str, Any] | None = None
    entry_changes: dict[str, Any] | None = None


class RepairCreate(_Input):
    """A subject asks to end the publication of a record or to leave a list."""

    target_type: RepairTarget
    target_id: PositiveId
    statement: LongText | None = None  # how the conduct was corrected (required)


class RepairStep(StrEnum):
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class RepairTransition(_Input):
    to: RepairStep
    reason: Reason | None = None


class DeadlinePublic(BaseModel):
    deadline: date
    working_days_left: int  # negative once past
    exact: bool  # False: counted past the known calendar, on weekends only
    overdue: bool


class EvidencePublic(BaseModel):
    id: int
    purpose: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class EventPublic(BaseModel):
    from_status: str | None
    to_status: str
    action: str
    actor: str | None  # hidden from subject readers
    actor_role: str
    occurred_at: datetime
    reason: str | None
    changes: dict[str, Any]


class _CasePublic(BaseModel):
    id: int
    subject_id: int
    target_type: str
    target_id: int
    status: str
    open: bool
    submitted_at: datetime
    submitted_on: date
    accepted_on: date | None
    decided_on: date | None
    decision_reason: str | None
    overdue_since: date | None
    deadline: DeadlinePublic | None  # the one running while the case is open


class ObjectionPublic(_CasePublic):
    record_id: int | None
    grounds: str
    requested_outcome: str | None
    extensions: int
    decided_changes: dict[str, Any]


Events = list[EventPublic]
Evidence = list[EvidencePublic]


class ObjectionDetail(ObjectionPublic):
    events: Events
    evidence: Evidence


class ObjectionPage(BaseModel):
    items: list[ObjectionPublic]
    next_cursor: str | None


class ConditionPublic(BaseModel):
    code: str  # not_repairable, minimum_period, new_negative_record, repair_interval, …
    status: str  # met, unmet, document_required
    message: str
    on: date | None = None  # the date the condition will be met, where one can be named


class EligibilityPublic(BaseModel):
    target_type: str
    target_id: int
    subject_id: int
    eligible: bool  # no condition unmet (documents may still be needed)
    earliest_on: date | None  # when every dated condition will be met
    documents_required: list[str]
    conditions: list[ConditionPublic]


class RepairPublic(_CasePublic):
    statement: str
    score_effect: str | None


class RepairDetail(RepairPublic):
    eligibility: EligibilityPublic | None  # while open: the conditions as they stand now
    events: Events
    evidence: Evidence


class RepairPage(BaseModel):
    items: list[RepairPublic]
    next_cursor: str | None
