"""A provincial evaluation profile: scale, base, modules, grade bands, vetoes, eligibility."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from credit.policy.fields import (
    Grade,
    KindCode,
    LongText,
    PackModel,
    Problem,
    Score,
    Text,
    WorkingDays,
)
from credit.policy.vocabulary import PackKind


class ModuleDirection(StrEnum):
    BONUS = "bonus"  # 加分: starts at 0, adds up to its weight
    DEDUCTION = "deduction"  # 扣分: starts at its weight, loses points


class ScoreModule(PackModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    zh: Text
    en: Text
    direction: ModuleDirection
    weight: Score


class GradeBand(PackModel):
    """`min` ≤ score < `max`; the band whose `max` is the scale also includes the scale itself."""

    grade: Grade
    min: Score
    max: Score


class VetoCondition(StrEnum):
    """A standing outside the records that forces a grade (record-based vetoes, such as a
    terminated agreement, are `veto` rules of the indicator sets)."""

    BLACK_LIST = "black_list"  # on the blacklist (严重失信名单) when the run's as_of falls


class Veto(PackModel):
    """一票否决: the condition forces this grade whatever the score."""

    when: VetoCondition
    grade: Grade


class Eligibility(PackModel):
    """Who is not evaluated in a cycle (e.g. designated for less than six months)."""

    min_designated_months: int | None = Field(default=None, ge=1, le=120)


class EvaluationProfile(PackModel):
    kind: Literal[PackKind.EVALUATION_PROFILE]
    notes: LongText = ""
    region_code: str = Field(pattern=r"^\d{6}$")
    subject_kinds: list[KindCode] = Field(min_length=1)
    cycle: Literal["annual", "quarterly", "monthly"]
    scale: Score
    base: Score
    modules: list[ScoreModule] = Field(min_length=1)
    grade_bands: list[GradeBand] = Field(min_length=2)
    vetoes: list[Veto] = Field(default_factory=list)
    eligibility: Eligibility = Eligibility()
    # 公示: working days a run's results stay open to objections before publication.
    publicity_working_days: WorkingDays
    # Kinds whose grades the public pages show (during publicity and once published).
    public_grade_kinds: list[KindCode] = Field(default_factory=list)

    def grade_for(self, score: Decimal) -> str:
        """The grade of a score inside the scale (bands are validated gap-free)."""
        for band in self.grade_bands:
            if band.min <= score < band.max or (band.max == self.scale == score):
                return band.grade
        raise ValueError(f"score {score} lies outside 0–{self.scale}")

    @property
    def lowest_grade(self) -> str:
        return min(self.grade_bands, key=lambda band: band.min).grade

    def problems(self) -> Iterator[Problem]:
        """Bands cover 0–scale without gap or overlap; modules add up to the scale."""
        if self.base > self.scale:
            yield Problem("base", "min_le_max", f"base {self.base} exceeds the scale {self.scale}")
        codes = [module.code for module in self.modules]
        for index, code in enumerate(codes):
            if codes.index(code) != index:
                yield Problem(f"modules[{index}].code", "unique_code", f"{code} is used twice")
        total = sum((module.weight for module in self.modules), Decimal(0))
        if total != self.scale:
            yield Problem(
                "modules",
                "modules_sum_to_scale",
                f"module weights add up to {total}, not the scale {self.scale}",
            )
        yield from self._band_problems()
        grades = {band.grade for band in self.grade_bands}
        for index, veto in enumerate(self.vetoes):
            if veto.grade not in grades:
                yield Problem(
                    f"vetoes[{index}].grade", "known_grade", f"no grade band is {veto.grade}"
                )

    def _band_problems(self) -> Iterator[Problem]:
        seen: set[str] = set()
        for index, band in enumerate(self.grade_bands):
            if band.grade in seen:
                yield Problem(f"grade_bands[{index}].grade", "unique_grade", f"{band.grade} twice")
            seen.add(band.grade)
            if band.min >= band.max:
                yield Problem(
                    f"grade_bands[{index}].max",
                    "empty_band",
                    f"max ({band.max}) must be above min ({band.min})",
                )
        order = sorted(range(len(self.grade_bands)), key=lambda i: self.grade_bands[i].min)
        reached = Decimal(0)
        for index in order:
            band = self.grade_bands[index]
            if band.min > reached:
                yield Problem(
                    f"grade_bands[{index}].min",
                    "gapped_bands",
                    f"no band covers scores from {reached} up to {band.min}",
                )
            elif band.min < reached:
                yield Problem(
                    f"grade_bands[{index}].min",
                    "overlapping_bands",
                    f"band {band.grade} starts at {band.min}, inside a band reaching {reached}",
                )
            reached = max(reached, band.max)
        if reached != self.scale:
            top = order[-1]
            yield Problem(
                f"grade_bands[{top}].max",
                "bands_cover_scale",
                f"the bands reach {reached} but the scale is {self.scale}",
            )
        ranked = sorted(self.grade_bands, key=lambda band: band.min, reverse=True)
        if [band.grade for band in ranked] != sorted(band.grade for band in ranked):
            yield Problem(
                "grade_bands",
                "grades_descend",
                "grade letters must run A, B, C … from the highest band down",
            )
