"""Reading the audit log over the API."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import AuthHeaders

EVENTS = "/api/v1/audit/events"


async def test_admin_reads_events_in_chain_order_with_filters(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    await client.post(
        "/api/v1/api-keys", json={"agency": "省医保局", "scopes": ["verify"]}, headers=admin
    )
    answer = await client.get(EVENTS, headers=admin)
    assert answer.status_code == 200
    events = answer.json()["items"]
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert events[-1]["action"] == "api_key.create"
    assert events[-1]["prev_hash"] == events[-2]["hash"]

    only_keys = await client.get(EVENTS, params={"action": "api_key.create"}, headers=admin)
    assert [event["action"] for event in only_keys.json()["items"]] == ["api_key.create"]

    page = await client.get(EVENTS, params={"limit": 1}, headers=admin)
    second = await client.get(
        EVENTS, params={"limit": 1, "cursor": page.json()["next_cursor"]}, headers=admin
    )
    assert second.json()["items"][0]["seq"] == 2


async def test_bad_filters_are_refused_by_name(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    for params in ({"target_type": "sub\x00ject"}, {"cursor": "abc"}, {"limit": 0}):
        answer = await client.get(EVENTS, params=params, headers=admin)
        assert answer.status_code in (400, 422), (params, answer.text)
        assert next(iter(params)) in answer.text


async def test_only_admins_read_the_log(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    for role in ("officer", "reviewer"):
        answer = await client.get(EVENTS, headers=await auth_headers(role))
        assert answer.status_code == 403
