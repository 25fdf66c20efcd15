"""An indicator set's document: dimensions holding indicators, each with one rule."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from credit.policy.fields import Grade
from credit.policy.profile import GradeBand
from credit.policy.vocabulary import Category, Severity

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Points = Annotated[Decimal, Field(ge=0, le=10_000, decimal_places=2)]
WindowMonths = Annotated[int, Field(ge=1, le=120)]


class Strict(BaseModel):
    """Unknown keys are refused, so a misspelt rule field never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordMatch(Strict):
    """Which records a rule counts: any listed item code, category or severity (all if empty)."""

    item_codes: list[str] = Field(default_factory=list, max_length=200)
    categories: list[Category] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)
    # None: the evaluated cycle; otherwise the months up to the cycle's last day.
    window_months: WindowMonths | None = None


class PerRecord(RecordMatch):
    kind: Literal["per_record"]
    points: Points
    cap: Points | None = None


class AmountTier(Strict):
    min_amount: Annotated[Decimal, Field(ge=0, decimal_places=2)]
    points: Points


class AmountTiers(RecordMatch):
    """Points of the highest tier the total amount involved reaches."""

    kind: Literal["amount_tiers"]
    tiers: list[AmountTier] = Field(min_length=1, max_length=20)


class Metric(StrEnum):
    REFUSAL_RATE = "refusal_rate"
    SUSPECT_RATE = "suspect_rate"


class Threshold(Strict):
    above: Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]
    points: Points


class MetricThreshold(Strict):
    """Points of the highest threshold the worst period of the cycle exceeds."""

    kind: Literal["metric_threshold"]
    metric: Metric
    thresholds: list[Threshold] = Field(min_length=1, max_length=20)


class Bonus(RecordMatch):
    kind: Literal["bonus"]
    points: Points
    cap: Points


class VetoRule(RecordMatch):
    """一票否决: any matching record forces `grade` (the profile's lowest when omitted)."""

    kind: Literal["veto"]
    grade: Grade | None = None


class EligibilityRule(Strict):
    """Subjects designated less than `min_designated_months` before the cycle ends are skipped."""

    kind: Literal["eligibility"]
    min_designated_months: Annotated[int, Field(ge=1, le=120)]


Rule = Annotated[
    PerRecord | AmountTiers | MetricThreshold | Bonus | VetoRule | EligibilityRule,
    Field(discriminator="kind"),
]
POINT_RULES = (PerRecord, AmountTiers, MetricThreshold, Bonus)
RECORD_RULES = (PerRecord, AmountTiers, Bonus, VetoRule)


class Indicator(Strict):
    code: Code
    zh: Name
    en: Name
    rule: Rule


class Dimension(Strict):
    """一级指标: its indicators together move the score by at most `weight` points."""

    code: Code
    zh: Name
    en: Name
    module: Code  # a module of the profile: its direction says whether points add or subtract
    weight: Points
    indicators: list[Indicator] = Field(min_length=1, max_length=100)


class SetDocument(Strict):
    dimensions: list[Dimension] = Field(min_length=1, max_length=30)
    # Bands replacing the profile's for this set (validated the same way); usually omitted.
    grade_bands: list[GradeBand] | None = None

    def indicators(self) -> list[tuple[Dimension, Indicator]]:
        return [(dim, ind) for dim in self.dimensions for ind in dim.indicators]
