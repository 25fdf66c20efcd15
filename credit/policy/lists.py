"""List criteria and periods (DESIGN 5) and the joint measures catalog (DESIGN 6)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from pydantic import Field, model_validator

from credit.policy.fields import (
    Grade,
    ItemCode,
    KindCode,
    LongText,
    Months,
    PackModel,
    Problem,
    Text,
    WorkingDays,
    YearsRange,
    Yuan,
    rule_error,
)
from credit.policy.vocabulary import Category, ListName, MeasureType, QualificationState

_LABELS = frozenset({"code", "zh", "en"})


class _Conditions(PackModel):
    """Conditions within one criterion or trigger all hold together; at least one is set."""

    grades: list[Grade] = Field(default_factory=list)
    qualification_statuses: list[QualificationState] = Field(default_factory=list)
    min_points: int | None = Field(default=None, ge=1, le=100)

    def _condition_fields(self) -> list[str]:
        return [name for name in type(self).model_fields if name not in _LABELS]

    @model_validator(mode="after")
    def _has_a_condition(self) -> _Conditions:
        if not any(getattr(self, name) for name in self._condition_fields()):
            raise rule_error(
                "condition_required",
                "name at least one condition: {names}",
                names=", ".join(self._condition_fields()),
            )
        return self


class ListCriterion(_Conditions):
    """One way onto a list; a subject qualifies when any criterion of the list matches."""

    code: ItemCode
    zh: Text
    en: Text
    item_codes: list[ItemCode] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    min_fund_loss: Yuan | None = None
    consecutive_cycles: int | None = Field(default=None, ge=1, le=20)
    clean_months: Months | None = None
    # The basis a notice and the published entry cite when this criterion lists a subject.
    legal_basis: LongText = ""


class _ListRules(PackModel):
    """What every list has: the ways onto it and the kinds of subject it takes."""

    criteria: list[ListCriterion] = Field(min_length=1)
    # None (a pack written before the field existed) means every kind.
    subject_kinds: list[KindCode] | None = Field(default=None, min_length=1)

    def takes(self, kind: str) -> bool:
        return self.subject_kinds is None or kind in self.subject_kinds

    def criterion(self, code: str) -> ListCriterion | None:
        return next((criterion for criterion in self.criteria if criterion.code == code), None)


class BlackListRules(_ListRules):
    validity_years: int = Field(ge=1, le=20)  # counted from the decision
    notice_working_days: WorkingDays  # 告知: time to state and defend
    publicity_working_days: WorkingDays  # 公示
    repair_after_years: int = Field(ge=0, le=20)


class RedListRules(_ListRules):
    validity: YearsRange
    default_years: int = Field(ge=1, le=20)
    publicity_working_days: WorkingDays


class FocusListRules(_ListRules):
    review_months: Months  # a listed entry is reviewed (and ends unless renewed) after this


class ListRules(PackModel):
    black: BlackListRules
    focus: FocusListRules
    red: RedListRules

    def of(self, name: ListName) -> BlackListRules | FocusListRules | RedListRules:
        rules: BlackListRules | FocusListRules | RedListRules = getattr(self, name.value)
        return rules


class Agency(PackModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    zh: Text
    en: Text


class Trigger(_Conditions):
    """When a measure applies: any listed grade, list or status, or a points total."""

    lists: list[ListName] = Field(default_factory=list)


class Measure(PackModel):
    code: ItemCode
    zh: Text
    en: Text
    type: MeasureType
    agency: Agency
    subject_kinds: list[KindCode] = Field(min_length=1)
    trigger: Trigger
    legal_basis: LongText
    duration_months: Months | None = None  # None: for as long as the trigger holds


NEGATIVE_LISTS = frozenset({ListName.BLACK, ListName.FOCUS})


def list_problems(lists: ListRules, at: str, item_codes: Collection[str]) -> Iterator[Problem]:
    """Criteria name catalog items that exist, codes are unique, periods are coherent."""
    seen: set[str] = set()
    for name in ListName:
        for index, criterion in enumerate(lists.of(name).criteria):
            where = f"{at}.{name}.criteria[{index}]"
            if criterion.code in seen:
                yield Problem(f"{where}.code", "unique_code", f"{criterion.code} is used twice")
            seen.add(criterion.code)
            for position, code in enumerate(criterion.item_codes):
                if code not in item_codes:
                    yield Problem(
                        f"{where}.item_codes[{position}]",
                        "known_item",
                        f"{code} is not an item of this pack's catalog",
                    )
    red = lists.red
    if not red.validity.min_years <= red.default_years <= red.validity.max_years:
        yield Problem(
            f"{at}.red.default_years",
            "within_range",
            f"default_years must lie within {red.validity.min_years}–{red.validity.max_years}",
        )
    if lists.black.repair_after_years > lists.black.validity_years:
        yield Problem(
            f"{at}.black.repair_after_years",
            "min_le_max",
            "repair_after_years must not exceed validity_years",
        )


def measure_problems(measures: Sequence[Measure], at: str) -> Iterator[Problem]:
    """Codes are unique; incentives follow good standing and discipline bad standing."""
    seen: set[str] = set()
    for index, measure in enumerate(measures):
        if measure.code in seen:
            yield Problem(f"{at}[{index}].code", "unique_code", f"{measure.code} is used twice")
        seen.add(measure.code)
        lists = set(measure.trigger.lists)
        wrong = (
            lists & NEGATIVE_LISTS
            if measure.type is MeasureType.INCENTIVE
            else lists - NEGATIVE_LISTS
        )
        if wrong:
            yield Problem(
                f"{at}[{index}].trigger.lists",
                "trigger_matches_type",
                f"a {measure.type} measure cannot follow the {', '.join(sorted(wrong))} list",
            )
