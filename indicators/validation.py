"""Check an indicator set against its profile and the catalog; every problem names its indicator."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from credit.kernel.errors import InvalidInput
from credit.policy.fields import Problem
from credit.policy.profile import EvaluationProfile, ModuleDirection
from indicators.rules import (
    AmountTiers,
    Bonus,
    EligibilityRule,
    MetricThreshold,
    PerRecord,
    RecordMatch,
    SetDocument,
    VetoRule,
)


class IndicatorSetInvalid(InvalidInput):
    """422 listing every problem; the message is the first one."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(
            first.message,
            field=first.path,
            rule=first.rule,
            extra={
                "problems": [
                    {"field": p.path, "rule": p.rule, "message": p.message} for p in problems
                ]
            },
        )


def parse_document(raw: dict[str, Any]) -> SetDocument:
    """The typed document, or IndicatorSetInvalid naming each path and broken rule."""
    try:
        return SetDocument.model_validate(raw)
    except ValidationError as error:
        problems = [
            Problem(
                "document." + ".".join(str(part) for part in item["loc"]),
                item["type"],
                item["msg"],
            )
            for item in error.errors()
        ]
        raise IndicatorSetInvalid(problems) from None


def effective_profile(profile: EvaluationProfile, document: SetDocument) -> EvaluationProfile:
    """The profile with the set's own grade bands, when it brings any."""
    if document.grade_bands is None:
        return profile
    return profile.model_copy(update={"grade_bands": document.grade_bands})


def check(document: SetDocument, profile: EvaluationProfile, known_items: Collection[str]) -> None:
    """Raise IndicatorSetInvalid unless the set fits its profile and names only known items."""
    problems = list(_problems(document, profile, known_items))
    if problems:
        raise IndicatorSetInvalid(problems)


def _problems(
    document: SetDocument, profile: EvaluationProfile, known_items: Collection[str]
) -> Iterator[Problem]:
    merged = effective_profile(profile, document)
    for problem in merged.problems():
        if problem.path.startswith("grade_bands"):
            yield Problem("document." + problem.path, problem.rule, problem.message)
    modules = {module.code: module for module in profile.modules}
    grades = {band.grade for band in merged.grade_bands}
    seen: set[str] = set()
    eligibility = 0
    for d_index, dimension in enumerate(document.dimensions):
        where = f"document.dimensions[{d_index}]"
        if dimension.code in seen:
            yield Problem(f"{where}.code", "unique_code", f"code {dimension.code} is used twice")
        seen.add(dimension.code)
        module = modules.get(dimension.module)
        if module is None:
            yield Problem(
                f"{where}.module",
                "known_module",
                f"dimension {dimension.code}: the profile has no module {dimension.module} "
                f"(known: {', '.join(modules)})",
            )
        for i_index, indicator in enumerate(dimension.indicators):
            path = f"{where}.indicators[{i_index}]"
            rule = indicator.rule
            label = f"indicator {indicator.code} ({rule.kind})"
            if indicator.code in seen:
                yield Problem(f"{path}.code", "unique_code", f"{label}: code used twice")
            seen.add(indicator.code)
            if isinstance(rule, RecordMatch):
                for c_index, code in enumerate(rule.item_codes):
                    if code not in known_items:
                        yield Problem(
                            f"{path}.rule.item_codes[{c_index}]",
                            "known_item",
                            f"{label}: {code} is not a catalog item",
                        )
            if module is not None:
                yield from _direction_problems(path, label, rule, module.direction)
            yield from _ordering_problems(path, label, rule)
            if isinstance(rule, VetoRule) and rule.grade and rule.grade not in grades:
                yield Problem(
                    f"{path}.rule.grade", "known_grade", f"{label}: no grade band is {rule.grade}"
                )
            if isinstance(rule, EligibilityRule):
                eligibility += 1
                if eligibility > 1:
                    yield Problem(f"{path}.rule", "one_eligibility", f"{label}: a second one")
    yield from _weight_problems(document, profile)


def _direction_problems(
    path: str, label: str, rule: object, direction: ModuleDirection
) -> Iterator[Problem]:
    if isinstance(rule, Bonus) and direction is not ModuleDirection.BONUS:
        yield Problem(
            f"{path}.rule.kind", "bonus_in_bonus_module", f"{label} in a deduction module"
        )
    deducts = isinstance(rule, PerRecord | AmountTiers | MetricThreshold)
    if deducts and direction is not ModuleDirection.DEDUCTION:
        yield Problem(
            f"{path}.rule.kind", "deduction_in_deduction_module", f"{label} in a bonus module"
        )


def _ordering_problems(path: str, label: str, rule: object) -> Iterator[Problem]:
    if isinstance(rule, AmountTiers):
        bounds = [tier.min_amount for tier in rule.tiers]
        name = "tiers"
    elif isinstance(rule, MetricThreshold):
        bounds = [threshold.above for threshold in rule.thresholds]
        name = "thresholds"
    else:
        return
    if any(low >= high for low, high in itertools.pairwise(bounds)):
        yield Problem(f"{path}.rule.{name}", "ascending", f"{label}: {name} must ascend strictly")


def _weight_problems(document: SetDocument, profile: EvaluationProfile) -> Iterator[Problem]:
    for module in profile.modules:
        total = sum(
            (dim.weight for dim in document.dimensions if dim.module == module.code), Decimal(0)
        )
        if total != module.weight:
            yield Problem(
                "document.dimensions",
                "weights_sum_to_module",
                f"dimension weights of module {module.code} add up to {total}, "
                f"not its weight {module.weight}",
            )
