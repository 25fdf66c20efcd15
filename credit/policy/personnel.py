"""The personnel payment-qualification points scheme (医保支付资格记分, DESIGN 4.4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import pairwise

from pydantic import Field, model_validator

from credit.policy.fields import (
    PackModel,
    PointsRange,
    Problem,
    Share,
    Text,
    rule_error,
)
from credit.policy.vocabulary import ListName, ResponsibilityTier


class YearStart(PackModel):
    """The day points reset to zero each year, in Asia/Shanghai (1 January: a natural year)."""

    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _real_day(self) -> YearStart:
        try:
            date(2001, self.month, self.day)  # a common year: 29 February would skip years
        except ValueError:
            raise rule_error(
                "real_date",
                "{month}-{day} is not a day every year has",
                month=self.month,
                day=self.day,
            ) from None
        return self


class PointsBands(PackModel):
    """Points per event by responsibility tier; fraud has its own, highest band."""

    general: PointsRange  # 一般责任
    important: PointsRange  # 重要责任
    principal: PointsRange  # 主要责任
    fraud: PointsRange  # 欺诈骗保


class Interview(PackModel):
    at_points: int = Field(ge=1, le=100)
    lists: list[ListName] = Field(default_factory=list)


class SuspensionStep(PackModel):
    points: int = Field(ge=1, le=100)
    months: int = Field(ge=1, le=60)


class Suspension(PackModel):
    from_points: int = Field(ge=1, le=100)
    to_points: int = Field(ge=1, le=100)
    months_by_points: list[SuspensionStep] = Field(min_length=1)
    still_paid: list[Text] = Field(default_factory=list)


class Termination(PackModel):
    at_points: int = Field(ge=1, le=100)
    reregistration_bar_years: int = Field(ge=0, le=20)
    single_event_bar_years: int = Field(ge=0, le=20)
    # Care the fund still pays for a terminated person (emergency and rescue care).
    still_paid: list[Text] = Field(default_factory=list)


class PointsRepair(PackModel):
    points_per_activity: int = Field(ge=1, le=100)
    max_points_per_year: int = Field(ge=0, le=100)
    activities: list[Text] = Field(min_length=1)


class InstitutionRollup(PackModel):
    """Shares of an institution's qualified staff suspended or terminated."""

    settlement_suspension_from_share: Share
    agreement_action_from_share: Share


class PersonnelPoints(PackModel):
    year_starts_on: YearStart
    bands: PointsBands
    interview: Interview
    suspension: Suspension
    termination: Termination
    repair: PointsRepair
    institution_rollup: InstitutionRollup

    def band_for(self, tier: ResponsibilityTier, *, fraud: bool = False) -> PointsRange:
        """The points range for one responsible person."""
        return self.bands.fraud if fraud else getattr(self.bands, tier.value)

    def suspension_months(self, points: int) -> int | None:
        """Months of suspension a year's total earns, None outside the suspension band."""
        for step in self.suspension.months_by_points:
            if step.points == points:
                return step.months
        return None

    def year_start(self, on: date) -> date:
        """The first day of the points year that `on` (an Asia/Shanghai date) falls in."""
        start = date(on.year, self.year_starts_on.month, self.year_starts_on.day)
        return start if start <= on else start.replace(year=on.year - 1)


def points_problems(points: PersonnelPoints, at: str) -> Iterator[Problem]:
    """Thresholds ascend and the suspension table names each points total once."""
    ladder = [
        ("interview.at_points", points.interview.at_points),
        ("suspension.from_points", points.suspension.from_points),
        ("suspension.to_points", points.suspension.to_points),
        ("termination.at_points", points.termination.at_points),
    ]
    for (low_name, low), (high_name, high) in pairwise(ladder):
        strict = high_name != "suspension.to_points"
        if low > high or (strict and low == high):
            yield Problem(
                f"{at}.{high_name}",
                "thresholds_ascending",
                f"{high_name} ({high}) must be above {low_name} ({low})",
            )
    wanted = range(points.suspension.from_points, points.suspension.to_points + 1)
    named = [step.points for step in points.suspension.months_by_points]
    for index, value in enumerate(named):
        if value not in wanted or named.index(value) != index:
            yield Problem(
                f"{at}.suspension.months_by_points[{index}].points",
                "points_table_covers",
                f"{value} is outside {wanted.start}–{wanted.stop - 1} or named twice",
            )
    for value in wanted:
        if value not in named:
            yield Problem(
                f"{at}.suspension.months_by_points",
                "points_table_covers",
                f"no suspension months for a total of {value} points",
            )
    for tier in ("general", "important", "principal", "fraud"):
        band: PointsRange = getattr(points.bands, tier)
        if band.min < 1 or band.max > points.termination.at_points:
            yield Problem(
                f"{at}.bands.{tier}",
                "points_range",
                f"a band must lie within 1–{points.termination.at_points} points",
            )
    rollup = points.institution_rollup
    if rollup.settlement_suspension_from_share >= rollup.agreement_action_from_share:
        yield Problem(
            f"{at}.institution_rollup.agreement_action_from_share",
            "thresholds_ascending",
            "the agreement share must be above the settlement-suspension share",
        )
