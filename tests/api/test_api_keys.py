"""Partner API keys: issued once, hashed, scoped, rate-limited, revocable."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.db import Database
from credit.accounts.models import ApiKey
from credit.kernel.clock import utcnow
from tests.conftest import AuthHeaders

KEYS = "/api/v1/api-keys"


async def test_admin_issues_a_key_shown_once_and_stored_hashed(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    answer = await client.post(
        KEYS, json={"agency": "省卫生健康委", "scopes": ["feed:black", "verify"]}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    plain = issued["key"]
    assert plain.startswith(f"mck_{issued['prefix']}_")
    assert issued["scopes"] == ["feed:black", "verify"]

    listed = (await client.get(KEYS, headers=admin)).json()["items"]
    assert [item["prefix"] for item in listed] == [issued["prefix"]]
    assert plain not in str(listed)
    async with db.sessionmaker() as session:
        stored = (await session.execute(select(ApiKey))).scalar_one()
    assert plain not in stored.key_hash

    me = await client.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 200
    assert me.json()["role"] == "partner"
    assert me.json()["scopes"] == ["feed:black", "verify"]
    relisted = (await client.get(KEYS, headers=admin)).json()["items"]
    assert relisted[0]["last_used_at"] is not None


async def test_unknown_scope_is_refused_by_name(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    answer = await client.post(
        KEYS,
        json={"agency": "税务局", "scopes": ["feed:everything"]},
        headers=await auth_headers("admin"),
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "scopes"
    assert "feed:everything" in answer.json()["detail"]


async def test_only_admins_manage_keys(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    for role in ("officer", "reviewer"):
        headers = await auth_headers(role)
        assert (await client.get(KEYS, headers=headers)).status_code == 403
        answer = await client.post(
            KEYS, json={"agency": "x", "scopes": ["verify"]}, headers=headers
        )
        assert answer.status_code == 403


async def test_revoked_key_is_refused(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    issued = (
        await client.post(KEYS, json={"agency": "市场监管局", "scopes": ["match"]}, headers=admin)
    ).json()
    partner = {"Authorization": f"Bearer {issued['key']}"}
    assert (await client.get("/api/v1/auth/whoami", headers=partner)).status_code == 200
    revoked = await client.post(f"{KEYS}/{issued['id']}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get("/api/v1/auth/whoami", headers=partner)).status_code == 401


async def test_rate_limit_answers_429_with_retry_after(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    issued = (
        await client.post(
            KEYS,
            json={"agency": "人民银行", "scopes": ["verify"], "rate_limit_per_minute": 3},
            headers=admin,
        )
    ).json()
    partner = {"Authorization": f"Bearer {issued['key']}"}
    # The limit counts calls per clock minute; retry if the calls straddled a minute boundary.
    for _ in range(3):
        minute = utcnow().replace(second=0, microsecond=0)
        answers = [await client.get("/api/v1/auth/whoami", headers=partner) for _ in range(4)]
        if utcnow().replace(second=0, microsecond=0) == minute:
            break
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[3].json()["rule"] == "rate_limit"
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60


async def test_a_partner_key_cannot_reach_regulator_endpoints(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    issued = (
        await client.post(KEYS, json={"agency": "银行", "scopes": ["verify", "pii"]}, headers=admin)
    ).json()
    partner = {"Authorization": f"Bearer {issued['key']}"}
    for path in ("/api/v1/accounts", KEYS, "/api/v1/audit/events", "/api/v1/subjects"):
        assert (await client.get(path, headers=partner)).status_code == 403, path
