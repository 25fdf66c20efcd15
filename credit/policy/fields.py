"""Building blocks of the pack schema: strict models, ranges and checked scalar types."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic_core import PydanticCustomError

from credit.subjects.kinds import registry as subject_kinds

Grade = Literal["A", "B", "C", "D", "E"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule in a pack: where (`catalog[12].severity`), which rule, and why."""

    path: str
    rule: str
    message: str


def rule_error(rule: str, template: str, **context: Any) -> PydanticCustomError:
    """A validation error whose type is the rule name; values go in `context`, not the text."""
    return PydanticCustomError(rule, template, context)


class PackModel(BaseModel):
    """Every part of a pack refuses keys it does not know, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _printable(value: str) -> str:
    # Line breaks are fine in long texts; other control characters are typos or attacks.
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in value):
        raise rule_error("printable_text", "must not contain control characters")
    return value


def _json_number(value: Decimal) -> int | float:
    """Decimals appear in the stored document as plain JSON numbers, as they were written."""
    return int(value) if value == value.to_integral_value() else float(value)


def _known_kind(value: str) -> str:
    known = subject_kinds()
    if value not in known:
        raise rule_error(
            "known_kind",
            "{value} is not a subject kind; known: {known}",
            value=value,
            known=", ".join(known),
        )
    return value


Text = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_printable)]
LongText = Annotated[str, Field(max_length=4000), AfterValidator(_printable)]
Number = Annotated[Decimal, PlainSerializer(_json_number, when_used="json")]
Score = Annotated[Number, Field(ge=0, le=10_000, decimal_places=2)]
Share = Annotated[Number, Field(ge=0, le=1, decimal_places=4)]
Multiple = Annotated[Number, Field(gt=0, le=100, decimal_places=2)]
Yuan = Annotated[Number, Field(ge=0, le=10**12, decimal_places=2)]
KindCode = Annotated[str, AfterValidator(_known_kind)]
ItemCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", max_length=64)]
Months = Annotated[int, Field(ge=0, le=600)]
WorkingDays = Annotated[int, Field(ge=1, le=365)]


def _ordered(low: Any, high: Any, low_name: str, high_name: str) -> None:
    if low > high:
        raise rule_error(
            "min_le_max",
            "{low_name} ({low}) must not exceed {high_name} ({high})",
            low_name=low_name,
            low=str(low),
            high_name=high_name,
            high=str(high),
        )


class MonthsRange(PackModel):
    min_months: Months
    max_months: Months

    @model_validator(mode="after")
    def _in_order(self) -> MonthsRange:
        _ordered(self.min_months, self.max_months, "min_months", "max_months")
        return self


class YearsRange(PackModel):
    min_years: int = Field(ge=0, le=50)
    max_years: int = Field(ge=0, le=50)

    @model_validator(mode="after")
    def _in_order(self) -> YearsRange:
        _ordered(self.min_years, self.max_years, "min_years", "max_years")
        return self


class MultipleRange(PackModel):
    """A fine as multiples of the amount lost or defrauded (1–2×, 2–5×)."""

    min: Multiple
    max: Multiple

    @model_validator(mode="after")
    def _in_order(self) -> MultipleRange:
        _ordered(self.min, self.max, "min", "max")
        return self


class YuanRange(PackModel):
    min: Yuan
    max: Yuan

    @model_validator(mode="after")
    def _in_order(self) -> YuanRange:
        _ordered(self.min, self.max, "min", "max")
        return self


class PointsRange(PackModel):
    """Inclusive bounds on personnel points."""

    min: int = Field(ge=0, le=100)
    max: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _in_order(self) -> PointsRange:
        _ordered(self.min, self.max, "min", "max")
        return self

    def __contains__(self, points: object) -> bool:
        return isinstance(points, int) and self.min <= points <= self.max
