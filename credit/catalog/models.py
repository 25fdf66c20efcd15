"""Catalog items as activated: one row per (pack version, code), so records keep their version."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, Money, check_in
from credit.policy.catalog_entry import CatalogEntry
from credit.policy.national import NationalPack
from credit.policy.vocabulary import Category, EarliestRepair, Severity


class CatalogItemPublic(SQLModel):
    """An item as the API shows it (public regulatory information)."""

    code: str
    name_zh: str
    name_en: str
    category: str
    severity: str | None
    subject_kinds: list[str]
    legal_basis: str
    article: int | None
    repairable: bool
    earliest_repair: str | None
    default_deduction: Decimal
    default_bonus: Decimal
    default_points: int | None
    published_by_default: bool
    publication_min_months: int
    publication_max_months: int
    effective_from: date | None
    effective_to: date | None
    pack_version_id: int


class CatalogItem(SQLModel, table=True):
    __tablename__ = "catalog_item"
    __table_args__ = (
        UniqueConstraint("pack_version_id", "code"),
        CheckConstraint(check_in("category", list(Category)), name="category"),
        CheckConstraint(check_in("severity", list(Severity)), name="severity"),
        CheckConstraint(check_in("earliest_repair", list(EarliestRepair)), name="earliest_repair"),
        CheckConstraint(
            "publication_min_months <= publication_max_months", name="publication_in_order"
        ),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    pack_version_id: int = Field(
        sa_column=Column(IdType, ForeignKey("policy_pack_version.id"), nullable=False, index=True)
    )
    code: str = Field(max_length=64, index=True)
    name_zh: str = Field(max_length=500)
    name_en: str = Field(max_length=500)
    category: str = Field(max_length=20, index=True)
    severity: str | None = Field(default=None, max_length=20)
    # Comma-delimited with a comma at each end, so `LIKE '%,physician,%'` matches whole kinds.
    subject_kinds: str = Field(max_length=400)
    legal_basis: str = Field(sa_column=Column(Text, nullable=False))
    article: int | None = None
    repairable: bool
    earliest_repair: str | None = Field(default=None, max_length=30)
    # Exact to 0.01 point; Money stores hundredths as an integer on every database.
    default_deduction: Decimal = Field(sa_type=Money)
    default_bonus: Decimal = Field(sa_type=Money)
    default_points: int | None = None
    published_by_default: bool
    publication_min_months: int
    publication_max_months: int
    effective_from: date | None = None
    effective_to: date | None = None

    @property
    def kinds(self) -> list[str]:
        return [kind for kind in self.subject_kinds.split(",") if kind]

    def in_force_on(self, on: date) -> bool:
        starts_ok = self.effective_from is None or self.effective_from <= on
        return starts_ok and (self.effective_to is None or on <= self.effective_to)

    @classmethod
    def from_entry(
        cls, pack_version_id: int, pack: NationalPack, entry: CatalogEntry
    ) -> CatalogItem:
        """The row for one entry, with publication and earliest repair resolved from its tier."""
        publication = pack.publication_of(entry)
        earliest = pack.earliest_repair_of(entry)
        return cls(
            pack_version_id=pack_version_id,
            code=entry.code,
            name_zh=entry.zh,
            name_en=entry.en,
            category=str(entry.category),
            severity=str(entry.severity) if entry.severity else None,
            subject_kinds="," + ",".join(entry.subject_kinds) + ",",
            legal_basis=entry.legal_basis,
            article=entry.article,
            repairable=entry.is_repairable,
            earliest_repair=str(earliest) if earliest else None,
            default_deduction=entry.default_deduction,
            default_bonus=entry.default_bonus,
            default_points=entry.default_points,
            published_by_default=publication.published_by_default,
            publication_min_months=publication.min_months,
            publication_max_months=publication.max_months,
            effective_from=entry.effective_from,
            effective_to=entry.effective_to,
        )

    def public(self) -> CatalogItemPublic:
        return CatalogItemPublic(
            **self.model_dump(exclude={"id", "subject_kinds"}), subject_kinds=self.kinds
        )
