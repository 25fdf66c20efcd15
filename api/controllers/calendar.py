"""The working-day calendar: anyone reads a year; an admin loads its official schedule."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get, put
from litestar.params import FromQuery, JSONBody, Parameter

from api.deps import CurrentActor, DbSession
from api.guards import admins
from credit.calendar import service
from credit.calendar.schemas import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarYearPublic,
    DeadlinePublic,
    ScheduleInput,
)

Year = Annotated[int, Parameter(ge=FIRST_YEAR, le=LAST_YEAR)]
WorkingDays = Annotated[int, Parameter(ge=0, le=service.MAX_WORKING_DAYS)]


class CalendarController(Controller):
    path = "/calendar"
    tags = ["calendar"]

    @get("/deadline", opt={"public": True})
    async def working_day_deadline(
        self, start: FromQuery[date], days: WorkingDays, db_session: DbSession
    ) -> DeadlinePublic:
        """The date `days` working days after `start`, and a warning when it is not exact."""
        found = await service.add_working_days(db_session, start, days)
        return DeadlinePublic(
            start=start, days=days, deadline=found.date, exact=found.exact, warning=found.warning
        )

    @get("/{year:int}", opt={"public": True})
    async def read_calendar_year(self, year: Year, db_session: DbSession) -> CalendarYearPublic:
        """The year's holidays and make-up workdays, where they come from, and whether exact."""
        return await service.year_view(db_session, year)

    @put("/{year:int}", guards=[admins])
    async def load_calendar_year(
        self,
        year: Year,
        data: JSONBody[ScheduleInput],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> CalendarYearPublic:
        """Load (or replace) the official schedule of a year; it overrides the package."""
        return await service.load_year(db_session, actor, year, data)
