"""Deadlines in Chinese working days, and how many are left, as every open case shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.calendar.service import WorkingCalendar, WorkingDate, calendar


@dataclass(frozen=True, slots=True)
class DeadlineView:
    """The deadline now running: its date, working days left (negative once past), and whether
    the calendar knew every day counted (False: weekends-only past the known years)."""

    deadline: date
    working_days_left: int
    exact: bool
    overdue: bool


def days_left(known: WorkingCalendar, today: date, deadline: date) -> tuple[int, bool]:
    """Working days from today to the deadline (the deadline counted); negative once past."""
    if deadline >= today:
        count = known.between(today, deadline)
        return count.days, count.exact
    count = known.between(deadline, today)
    return -count.days, count.exact


async def due_after(session: AsyncSession, start: date, working_days: int) -> WorkingDate:
    """The date `working_days` working days after `start` (the start day is not counted)."""
    return (await calendar(session)).add(start, working_days)


def view(known: WorkingCalendar, today: date, deadline: date, exact: bool) -> DeadlineView:
    left, counted_exactly = days_left(known, today, deadline)
    return DeadlineView(
        deadline=deadline,
        working_days_left=left,
        exact=exact and counted_exactly,
        overdue=today > deadline,
    )
