"""Per-minute limits counted in batches reserved from the shared counter: never more calls
than the limit, across processes; small limits counted call by call."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.db import Database
from credit.accounts import api_keys
from credit.accounts.api_keys import RateLimiter, reservation_size
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import TooManyRequests
from credit.kernel.statements import SessionStatements

NOON = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


def test_small_limits_are_counted_call_by_call_large_ones_in_batches() -> None:
    assert [reservation_size(limit) for limit in (1, 60, 199, 200, 600, 10**9)] == [
        1, 1, 1, 2, 6, 50,
    ]  # fmt: skip


async def _key(db: Database, limit: int) -> int:
    async with db.transaction() as session:
        key, _ = await api_keys.create(
            session, SYSTEM_ACTOR, agency="合作机构", scopes=["verify"], rate_limit_per_minute=limit
        )
    assert key.id is not None
    return key.id


async def _admitted(db: Database, limiter: RateLimiter, key_id: int) -> bool:
    """Whether the call is served; a refusal says when to retry (at the next minute)."""
    retry_after = None
    try:
        async with db.transaction() as session:
            await limiter.admit(SessionStatements(session), key_id, 1000)
    except TooManyRequests as refused:
        retry_after = refused.retry_after
    assert retry_after in (None, 30)
    return retry_after is None


async def test_two_processes_never_serve_more_than_the_limit_between_them(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("credit.accounts.api_keys.utcnow", lambda: NOON)
    key_id = await _key(db, 1000)
    first, second = RateLimiter(), RateLimiter()
    served = 0
    for call in range(1100):
        served += await _admitted(db, first if call % 3 else second, key_id)
    # Each process may hold back up to batch - 1 reserved calls it did not spend.
    assert 1000 - 2 * (reservation_size(1000) - 1) <= served <= 1000
    assert not await _admitted(db, first, key_id)
    assert not await _admitted(db, second, key_id)
    monkeypatch.setattr("credit.accounts.api_keys.utcnow", lambda: NOON.replace(minute=1, second=0))
    assert await _admitted(db, first, key_id)  # a new minute
