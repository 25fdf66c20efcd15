"""One item of the credit-information catalog (信用信息目录) as a pack writes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from pydantic import Field

from credit.policy.fields import (
    ItemCode,
    KindCode,
    LongText,
    MonthsRange,
    PackModel,
    Problem,
    Score,
    Text,
)
from credit.policy.vocabulary import FAVOURABLE_CATEGORIES, Category, EarliestRepair, Severity


class PublicationOverride(MonthsRange):
    """An item's own publication period, replacing its severity tier's."""

    published_by_default: bool | None = None


class CatalogEntry(PackModel):
    """Anything left out (publication, earliest repair) comes from the item's severity tier."""

    code: ItemCode
    zh: Text
    en: Text
    category: Category
    # Dishonesty information has a tier; positive and commitment information has none.
    severity: Severity | None = None
    subject_kinds: list[KindCode] = Field(min_length=1)
    legal_basis: LongText
    article: int | None = Field(default=None, ge=1, le=999)
    repairable: bool | None = None
    earliest_repair: EarliestRepair | None = None
    # Score effects are on a 100-point scale; an indicator set rescales them to its own.
    default_deduction: Score = Decimal(0)
    default_bonus: Score = Decimal(0)
    default_points: int | None = Field(default=None, ge=1, le=100)
    publication: PublicationOverride | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    @property
    def favourable(self) -> bool:
        return self.category in FAVOURABLE_CATEGORIES

    @property
    def is_repairable(self) -> bool:
        """Dishonesty information is repairable unless the item says otherwise."""
        return not self.favourable if self.repairable is None else self.repairable


def entry_problems(entry: CatalogEntry, at: str, points_cap: int) -> Iterator[Problem]:
    """Rules between one item's own fields."""
    if entry.favourable:
        if entry.severity is not None:
            yield Problem(
                f"{at}.severity",
                "no_severity_for_favourable",
                f"{entry.category} information has no severity tier; remove severity",
            )
        if entry.repairable:
            yield Problem(
                f"{at}.repairable",
                "not_repairable",
                f"{entry.category} information is not dishonesty and cannot be repaired",
            )
        if entry.default_deduction:
            yield Problem(
                f"{at}.default_deduction",
                "sign_for_category",
                f"{entry.category} information adds points; use default_bonus",
            )
    else:
        if entry.severity is None:
            yield Problem(
                f"{at}.severity",
                "severity_required",
                f"{entry.category} information needs a severity: minor, general or serious",
            )
        if entry.default_bonus:
            yield Problem(
                f"{at}.default_bonus",
                "sign_for_category",
                f"{entry.category} information deducts points; use default_deduction",
            )
    if entry.earliest_repair is not None and not entry.is_repairable:
        yield Problem(
            f"{at}.earliest_repair",
            "not_repairable",
            "an item that cannot be repaired has no earliest repair",
        )
    if entry.default_points is not None and entry.default_points > points_cap:
        yield Problem(
            f"{at}.default_points",
            "points_range",
            f"default_points {entry.default_points} exceeds the {points_cap}-point scheme",
        )
    if entry.effective_from and entry.effective_to and entry.effective_from > entry.effective_to:
        yield Problem(
            f"{at}.effective_to",
            "min_le_max",
            f"effective_to {entry.effective_to} is before effective_from {entry.effective_from}",
        )
