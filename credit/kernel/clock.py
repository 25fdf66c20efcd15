"""Time: stored instants are UTC; business dates are dates in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def business_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai, where decision dates and deadlines live."""
    return (now or utcnow()).astimezone(BUSINESS_TZ).date()


def business_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an instant."""
    return instant.astimezone(BUSINESS_TZ).date()
