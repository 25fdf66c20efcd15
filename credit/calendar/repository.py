"""Queries on loaded calendar years."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.calendar.models import CALENDAR_YEAR, CalendarYear


async def loaded_years(session: AsyncSession) -> Sequence[CalendarYear]:
    """Every loaded year (a few dozen rows at most: one per year)."""
    return (
        (await session.execute(select(CalendarYear).order_by(CALENDAR_YEAR.year))).scalars().all()
    )


async def get_year(session: AsyncSession, year: int) -> CalendarYear | None:
    return await session.get(CalendarYear, year)
