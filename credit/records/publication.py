"""Publication windows (公示期) of records and the sweep that ends them.

A record is published from its decision date for the period its severity has in the policy pack
in force at that date (or its catalog item's own period). Periods count as the Civil Code counts
months (arts. 201–202): the decision day itself is not counted, and the period's last day is the
same day of the last month, or that month's last day when it has no such day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.records import repository, workflow
from credit.records.models import RecordStatus

# Records under objection wait for the decision; repaired and revoked ones are off already.
SWEPT = (RecordStatus.ACTIVE, RecordStatus.CORRECTED)


@dataclass(frozen=True, slots=True)
class PublicationTerms:
    """What the policy says about publishing one kind of record."""

    published_by_default: bool
    min_months: int
    max_months: int


@dataclass(frozen=True, slots=True)
class Window:
    published: bool
    publish_from: date | None
    publish_until: date | None


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=8192)  # an import meets the same few terms and dates again and again
def window_for(terms: PublicationTerms, decided_on: date) -> Window:
    """The window of a record decided on `decided_on`; none when the policy allows no period."""
    if terms.max_months <= 0:
        return Window(published=False, publish_from=None, publish_until=None)
    return Window(
        published=terms.published_by_default,
        publish_from=decided_on,
        publish_until=add_months(decided_on, terms.max_months),
    )


def minimum_until(terms: PublicationTerms, decided_on: date) -> date:
    """The last day of the minimum publication period (repair may be asked after it)."""
    return add_months(decided_on, terms.min_months)


def is_public(
    status: RecordStatus | str,
    published: bool,
    publish_from: date | None,
    publish_until: date | None,
    today: date,
) -> bool:
    """Whether a record shows on public pages today."""
    if not published or publish_from is None or publish_until is None:
        return False
    return status in workflow.PUBLISHABLE and publish_from <= today <= publish_until


async def sweep_publication(session: AsyncSession, actor: Actor, today: date) -> int:
    """End publication of every record whose window closed before `today`; how many ended.

    Idempotent: an expired record is not selected again, and a late run expires everything that
    became due meanwhile, each once.
    """
    return await workflow.transition_many(
        session,
        actor,
        {status: repository.past_window(today, status) for status in SWEPT},
        to=RecordStatus.EXPIRED,
        reason=f"publication period ended before {today.isoformat()}",
        action="record.expire",
    )
