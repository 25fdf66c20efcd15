"""Subject metrics per period: one row per subject, period and reporting system.

Rates are stored as exact fractions between 0 and 1 (0.035 is 3.5 %), in millionths, so an
indicator's arithmetic is the same on every database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, Money, UTCDateTime, check_in

RATE_PLACES = Decimal("0.000001")


class Rate(TypeDecorator[Decimal]):
    """A fraction 0–1 as an exact Decimal, stored as an integer number of millionths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        millionths = Decimal(value) * 1_000_000
        if millionths != millionths.to_integral_value():
            raise ValueError(f"{value} has more than six decimal places")
        return int(millionths)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 1_000_000).quantize(RATE_PLACES)


class PeriodKind(StrEnum):
    MONTH = "month"  # 2026-03
    QUARTER = "quarter"  # 2026Q1
    YEAR = "year"  # 2026


class SubjectMetric(SQLModel, table=True):
    """What a source system reported for one subject over one period; never edited in place."""

    __tablename__ = "subject_metric"
    __table_args__ = (
        UniqueConstraint("source_system", "source_ref"),
        UniqueConstraint("subject_id", "period", "source_system"),
        CheckConstraint(check_in("period_kind", list(PeriodKind)), name="period_kind"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
        CheckConstraint(
            "discharges >= 0 AND total_cost >= 0 AND fund_payment >= 0 AND average_cost >= 0",
            name="not_negative",
        ),
        CheckConstraint("fund_payment <= total_cost", name="fund_within_total"),
        CheckConstraint(
            "(refusal_rate IS NULL OR refusal_rate BETWEEN 0 AND 1000000) AND "
            "(suspect_rate IS NULL OR suspect_rate BETWEEN 0 AND 1000000)",
            name="rates_are_fractions",
        ),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    subject_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), nullable=False, index=True)
    )
    period: str = Field(max_length=7, index=True)
    period_kind: str = Field(max_length=10)
    period_start: date
    period_end: date
    discharges: int = Field(sa_type=BigInteger)
    total_cost: Decimal = Field(sa_type=Money)
    fund_payment: Decimal = Field(sa_type=Money)
    average_cost: Decimal = Field(sa_type=Money)
    refusal_rate: Decimal | None = Field(default=None, sa_type=Rate)
    suspect_rate: Decimal | None = Field(default=None, sa_type=Rate)
    source_system: str = Field(max_length=40)
    source_ref: str = Field(max_length=100)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


SUBJECT_METRIC_TABLE = SQLModel.metadata.tables["subject_metric"]
"""The table behind `SubjectMetric`, typed (SQLModel leaves `__table__` untyped)."""


class SubjectMetricPublic(SQLModel):
    id: int
    subject_id: int
    period: str
    period_kind: PeriodKind
    period_start: date
    period_end: date
    discharges: int
    total_cost: Decimal
    fund_payment: Decimal
    average_cost: Decimal
    refusal_rate: Decimal | None
    suspect_rate: Decimal | None
    source_system: str
    source_ref: str
    recorded_at: datetime
