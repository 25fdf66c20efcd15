"""Objection and repair deadlines (in working days) and repair limits (DESIGN 7)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from credit.policy.fields import Months, PackModel, WorkingDays


class ScoreEffect(StrEnum):
    """When an approved repair changes the score."""

    NEXT_CYCLE = "next_cycle"
    IMMEDIATE = "immediate"


class ObjectionDeadlines(PackModel):
    accept_within_working_days: WorkingDays  # 受理
    decide_within_working_days: WorkingDays  # counted from acceptance
    extension_working_days: WorkingDays
    max_extensions: int = Field(ge=0, le=5)


class RepairRules(PackModel):
    accept_within_working_days: WorkingDays
    decide_within_working_days: WorkingDays
    min_months_since_last_repair: Months
    max_repairs_in_window: int = Field(ge=1, le=100)
    window_years: int = Field(ge=1, le=50)
    clean_months: Months  # no new negative record in this many months before the request
    requires_commitment: bool  # 信用修复承诺书
    score_effect: ScoreEffect


class Remedies(PackModel):
    objection: ObjectionDeadlines
    repair: RepairRules
    # Officers are reminded of an open case this many working days before its deadline.
    remind_working_days_before: WorkingDays = 2
