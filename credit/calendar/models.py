"""Official holiday schedules the regulator loaded, one row per year."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column
from sqlmodel import Field, SQLModel

from credit.kernel.db import UTCDateTime


class CalendarYear(SQLModel, table=True):
    """A year's holidays and make-up workdays as the State Council announced them.

    A loaded year overrides the calendar package for that year; loading it again replaces it.
    """

    __tablename__ = "calendar_year"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2999", name="year_range"),)

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    # ISO dates, sorted: days off that would otherwise be working days, and weekend days worked.
    holidays: list[str] = Field(sa_column=Column(JSON, nullable=False))
    workdays: list[str] = Field(sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=200)
    loaded_by: str = Field(max_length=120)
    loaded_at: datetime = Field(sa_type=UTCDateTime)


CALENDAR_YEAR = SQLModel.metadata.tables["calendar_year"].c
