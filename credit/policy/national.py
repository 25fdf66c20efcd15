"""The national pack: severity tiers, statutes, points, remedies, lists, measures, catalog."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from credit.policy.catalog_entry import CatalogEntry, entry_problems
from credit.policy.fields import (
    KindCode,
    LongText,
    MonthsRange,
    MultipleRange,
    PackModel,
    Problem,
    Text,
    YuanRange,
)
from credit.policy.lists import ListRules, Measure, list_problems, measure_problems
from credit.policy.personnel import PersonnelPoints, points_problems
from credit.policy.remedies import Remedies
from credit.policy.vocabulary import (
    Condition,
    EarliestRepair,
    ListName,
    PackKind,
    Severity,
    SuspensionScope,
)


class SeverityTier(PackModel):
    zh: Text
    published_by_default: bool
    publication: MonthsRange  # counted from the decision date
    earliest_repair: EarliestRepair


class SeverityTiers(PackModel):
    minor: SeverityTier
    general: SeverityTier
    serious: SeverityTier

    def of(self, severity: Severity) -> SeverityTier:
        tier: SeverityTier = getattr(self, severity.value)
        return tier


class StatutorySuspension(MonthsRange):
    scope: SuspensionScope
    condition: Condition


class Statute(PackModel):
    """One article of the Regulation (State Council Order 735) and its consequences."""

    article: int = Field(ge=1, le=999)
    zh: Text
    en: Text
    legal_basis: LongText
    subject_kinds: list[KindCode] = Field(min_length=1)
    repay: bool = False
    fine_multiple: MultipleRange | None = None  # of the loss or the amount defrauded
    fine_yuan: YuanRange | None = None
    fine_condition: Condition = Condition.ALWAYS
    fraud_fine_multiple: MultipleRange | None = None  # added when the act was fraud
    suspension: StatutorySuspension | None = None
    may_terminate_agreement: bool = False
    management_ban_years: int | None = Field(default=None, ge=1, le=20)


@dataclass(frozen=True, slots=True)
class Publication:
    """An item's resolved publication regime."""

    published_by_default: bool
    min_months: int
    max_months: int


class NationalPack(PackModel):
    kind: Literal[PackKind.NATIONAL]
    notes: LongText = ""
    severity_tiers: SeverityTiers
    statutes: list[Statute] = Field(min_length=1)
    personnel_points: PersonnelPoints
    remedies: Remedies
    lists: ListRules
    measures: list[Measure] = Field(min_length=1)
    catalog: list[CatalogEntry] = Field(min_length=1)

    def entry(self, code: str) -> CatalogEntry | None:
        return next((entry for entry in self.catalog if entry.code == code), None)

    def statute(self, article: int) -> Statute | None:
        return next((statute for statute in self.statutes if statute.article == article), None)

    def measure(self, code: str) -> Measure | None:
        return next((measure for measure in self.measures if measure.code == code), None)

    def measures_for(self, list_name: ListName) -> list[Measure]:
        return [measure for measure in self.measures if list_name in measure.trigger.lists]

    def publication_of(self, entry: CatalogEntry) -> Publication:
        """The item's override where it has one, else its severity tier; never for favourable."""
        tier = self.severity_tiers.of(entry.severity) if entry.severity else None
        period = entry.publication or (tier.publication if tier else None)
        if period is None:
            return Publication(published_by_default=False, min_months=0, max_months=0)
        published = entry.publication.published_by_default if entry.publication else None
        if published is None:
            published = tier.published_by_default if tier else True
        return Publication(published, period.min_months, period.max_months)

    def earliest_repair_of(self, entry: CatalogEntry) -> EarliestRepair | None:
        if not entry.is_repairable or entry.severity is None:
            return None
        return entry.earliest_repair or self.severity_tiers.of(entry.severity).earliest_repair

    def problems(self) -> Iterator[Problem]:
        """Rules that span several parts of the pack."""
        articles: set[int] = set()
        for index, statute in enumerate(self.statutes):
            if statute.article in articles:
                yield Problem(
                    f"statutes[{index}].article",
                    "unique_code",
                    f"article {statute.article} is listed twice",
                )
            articles.add(statute.article)
        cap = self.personnel_points.termination.at_points
        codes: set[str] = set()
        for index, entry in enumerate(self.catalog):
            at = f"catalog[{index}]"
            if entry.code in codes:
                yield Problem(f"{at}.code", "duplicate_code", f"{entry.code} is used twice")
            codes.add(entry.code)
            if entry.article is not None and entry.article not in articles:
                yield Problem(
                    f"{at}.article",
                    "known_article",
                    f"article {entry.article} is not among this pack's statutes",
                )
            yield from entry_problems(entry, at, cap)
        yield from points_problems(self.personnel_points, "personnel_points")
        yield from list_problems(self.lists, "lists", codes)
        yield from measure_problems(self.measures, "measures")
