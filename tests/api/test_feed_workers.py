"""Two app instances on one database behave as two web workers: what one process keeps (the
signing key, reserved calls, pending call log rows) never weakens what partners are promised."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api import signing
from api.app import create_app
from api.db import Database
from api.settings import Settings
from credit.accounts import calls
from tests.api.test_feed_keys import _verify
from tests.conftest import AuthHeaders
from tests.credit.feeds.support import partner

BLACK = "/api/v1/feeds/black/changes"


@asynccontextmanager
async def other_worker(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def _key_id(answer_headers: dict[str, str]) -> str:
    return answer_headers["signature-input"].split('keyid="')[1].split('"')[0]


async def test_a_rotation_by_another_worker_signs_its_answers_once_its_key_is_read_again(
    client: AsyncTestClient[Litestar],
    settings: Settings,
    auth_headers: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signing, "KEY_TTL_SECONDS", 3600.0)  # however slow this test runs
    first = await client.get("/api/v1/feeds/keys")
    old_key = first.json()["items"][0]["key_id"]
    async with other_worker(settings) as second_worker:
        rotated = await second_worker.post(
            "/api/v1/feeds/keys/rotate", headers=await auth_headers("admin")
        )
        assert rotated.status_code == 201
        new_key = rotated.json()["items"][0]["key_id"]
    assert new_key != old_key

    # Until KEY_TTL_SECONDS pass, this worker still signs with the key it read: the answer lists the
    # new key as active and the old one as retired, and verifies with the old one.
    cached = await client.get("/api/v1/feeds/keys")
    assert [item["key_id"] for item in cached.json()["items"]] == [new_key, old_key]
    assert await _key_id(dict(cached.headers)) == old_key
    _verify(cached, cached.json())

    monkeypatch.setattr(signing, "KEY_TTL_SECONDS", 0.0)  # the time has passed
    fresh = await client.get("/api/v1/feeds/keys")
    assert await _key_id(dict(fresh.headers)) == new_key
    _verify(fresh, fresh.json())


async def test_a_key_revoked_through_one_worker_is_refused_by_the_other_at_once(
    client: AsyncTestClient[Litestar], settings: Settings, auth_headers: AuthHeaders
) -> None:
    key = await partner(client, auth_headers, ["feed:black"])
    assert (await client.get(BLACK, headers=key["headers"])).status_code == 200
    async with other_worker(settings) as second_worker:
        assert (await second_worker.get(BLACK, headers=key["headers"])).status_code == 200
        revoked = await second_worker.post(
            f"/api/v1/api-keys/{key['id']}/revoke", headers=await auth_headers("admin")
        )
        assert revoked.status_code in (200, 201)
    refused = await client.get(BLACK, headers=key["headers"])
    assert refused.status_code == 401


async def test_the_rate_limit_holds_across_two_workers(
    client: AsyncTestClient[Litestar],
    settings: Settings,
    auth_headers: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = await partner(client, auth_headers, ["feed:black"], rate_limit_per_minute=3)
    monkeypatch.setattr(
        "credit.accounts.api_keys.utcnow", lambda: datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
    )
    async with other_worker(settings) as second_worker:
        statuses = [
            (await worker.get(BLACK, headers=key["headers"])).status_code
            for worker in (client, second_worker, client, second_worker, client)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        refused = await second_worker.get(BLACK, headers=key["headers"])
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "45"
    assert refused.json()["rule"] == "rate_limit"


async def test_calls_answered_together_are_all_logged_by_the_time_the_app_stops(
    settings: Settings, db: Database, auth_headers: AuthHeaders, client: AsyncTestClient[Litestar]
) -> None:
    key = await partner(client, auth_headers, ["feed:black"])
    async with other_worker(settings) as second_worker:
        answers = await asyncio.gather(
            *(second_worker.get(BLACK, headers=key["headers"]) for _ in range(12)),
            second_worker.get("/api/v1/feeds/red/changes", headers=key["headers"]),
        )
    assert sorted(answer.status_code for answer in answers) == [200] * 12 + [403]
    async with db.transaction() as session:
        logged = await calls.calls_of(session, key["id"])
    assert sorted((row.status, row.returned) for row in logged) == [(200, 0)] * 12 + [(403, None)]
