"""What the API and the change log show of measures, assignments and feedback."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from credit.measures.models import FeedbackOutcome, MeasureAssignment, MeasureFeedback
from credit.policy.lists import Measure

NOTE_MAX = 2000
# Printable text, where a note may also break lines and use tabs.
NOTE_TEXT = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"


class AgencyPublic(BaseModel):
    code: str
    zh: str
    en: str


class MeasurePublic(BaseModel):
    code: str
    zh: str
    en: str
    type: str
    agency: AgencyPublic
    subject_kinds: list[str]
    trigger: dict[str, Any]
    legal_basis: str
    duration_months: int | None


class MeasureCatalogPublic(BaseModel):
    items: list[MeasurePublic]
    pack_version_id: int
    pack_version: int


class AssignmentPublic(BaseModel):
    """An assignment as it is now; the change log stores exactly this."""

    id: int
    measure_code: str
    measure_zh: str | None
    measure_en: str | None
    measure_type: str
    legal_basis: str | None
    pack_version_id: int
    subject_id: int
    agency: str
    trigger: str
    starts_on: date
    ends_on: date | None
    status: str
    end_reason: str | None
    feedback_outcome: str | None
    feedback_on: date | None


class AssignmentPage(BaseModel):
    items: list[AssignmentPublic]
    next_cursor: str | None = None


class FeedbackPublic(BaseModel):
    id: int
    assignment_id: int
    outcome: str
    occurred_on: date
    note: str
    agency: str
    actor: str
    created_at: datetime


class AssignmentDetail(AssignmentPublic):
    feedback: list[FeedbackPublic]


class FeedbackCreate(BaseModel):
    outcome: FeedbackOutcome
    occurred_on: date = Field(description="when it was applied, found not applicable, or failed")
    note: str = Field(default="", max_length=NOTE_MAX, pattern=NOTE_TEXT)


class FeedbackReceived(BaseModel):
    feedback: FeedbackPublic
    assignment: AssignmentPublic


def measure_public(measure: Measure) -> MeasurePublic:
    return MeasurePublic.model_validate(measure.model_dump(mode="json"))


def assignment_public(
    assignment: MeasureAssignment | dict[str, Any], measure: Measure | None
) -> AssignmentPublic:
    """`assignment` may be a row or the plain values of one (bulk statements use those)."""
    values = assignment if isinstance(assignment, dict) else assignment.model_dump()
    return AssignmentPublic(
        **{name: values[name] for name in AssignmentPublic.model_fields if name in values},
        measure_zh=measure.zh if measure else None,
        measure_en=measure.en if measure else None,
        legal_basis=measure.legal_basis if measure else None,
    )


def feedback_public(feedback: MeasureFeedback) -> FeedbackPublic:
    return FeedbackPublic.model_validate(feedback.model_dump())
