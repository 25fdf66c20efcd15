"""A year's official schedule as loaded (file or API) and as read back."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from credit.kernel.errors import PRINTABLE_TEXT

FIRST_YEAR, LAST_YEAR = 2000, 2999


class ScheduleInput(BaseModel):
    """Holidays and make-up workdays (调休) of one year; the year comes from the file or path."""

    model_config = ConfigDict(extra="forbid")

    holidays: list[date] = Field(max_length=366)
    workdays: list[date] = Field(default_factory=list, max_length=366)
    source: str = Field(default="", max_length=200, pattern=PRINTABLE_TEXT)


class ScheduleFile(ScheduleInput):
    """The loadable file: `year`, `holidays`, `workdays` (and an optional `source`)."""

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)


class CalendarSource(StrEnum):
    LOADED = "loaded"  # the schedule the regulator loaded
    PACKAGE = "package"  # the maintained chinesecalendar package
    WEEKENDS_ONLY = "weekends_only"  # nothing known: Saturdays and Sundays are the only days off


class CalendarYearPublic(BaseModel):
    year: int
    source: CalendarSource
    exact: bool  # False when only weekends are known for the year
    holidays: list[date]
    workdays: list[date]
    working_days: int
    warning: str | None = None  # set when the year is counted with weekends only


class DeadlinePublic(BaseModel):
    """A deadline `days` working days after `start` (which itself is not counted)."""

    start: date
    days: int
    deadline: date
    exact: bool
    warning: str | None
