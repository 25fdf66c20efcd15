"""Logins, tokens, throttling and the web session with CSRF."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from api.settings import Settings
from credit.accounts import service as accounts
from credit.accounts import tokens
from credit.accounts.models import AccountCreate
from credit.accounts.repository import account_by_username
from credit.kernel.actor import SYSTEM_ACTOR, Role
from tests.conftest import TEST_PASSWORD, AuthHeaders

LOGIN = "/api/v1/auth/login"


async def _create(db: Database, username: str, role: Role = Role.OFFICER) -> int:
    async with db.transaction() as session:
        account = await accounts.create_account(
            session,
            SYSTEM_ACTOR,
            AccountCreate(username=username, password=TEST_PASSWORD, role=role),
        )
    assert account.id is not None
    return account.id


async def test_login_returns_a_bearer_token_that_identifies_the_account(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await _create(db, "wang.officer")
    answer = await client.post(LOGIN, json={"username": "Wang.Officer", "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    me = await client.get(
        "/api/v1/auth/whoami", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["name"] == "wang.officer"
    assert me.json()["role"] == "officer"


async def test_wrong_password_is_401_and_names_no_secret(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await _create(db, "li.officer")
    answer = await client.post(LOGIN, json={"username": "li.officer", "password": "wrong-one"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == "password"
    assert "access_token" not in answer.text


async def test_repeated_failures_slow_down_known_and_unknown_names(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await _create(db, "zhao.officer")
    for username in ("zhao.officer", "nobody-here"):
        statuses = [
            (await client.post(LOGIN, json={"username": username, "password": "x"})).status_code
            for _ in range(5)
        ]
        assert statuses[:3] == [401, 401, 401]
        assert 429 in statuses[3:]
    blocked = await client.post(LOGIN, json={"username": "zhao.officer", "password": TEST_PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1


async def test_missing_fields_name_the_field(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.post(LOGIN, json={"username": "someone"})
    assert answer.status_code == 400
    assert "password" in answer.json()["detail"]


async def test_expired_or_forged_tokens_are_refused(
    client: AsyncTestClient[Litestar], db: Database, settings: Settings
) -> None:
    account_id = await _create(db, "sun.officer")
    expired, _ = tokens.issue(settings.secret_key, account_id, timedelta(seconds=-5))
    forged, _ = tokens.issue("another-secret", account_id, timedelta(minutes=5))
    for token in (expired, forged, "garbage"):
        answer = await client.get(
            "/api/v1/auth/whoami", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 401
    assert (await client.get("/api/v1/auth/whoami")).status_code == 401


async def test_deactivated_account_token_stops_working(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    headers = await auth_headers("officer")
    assert (await client.get("/api/v1/auth/whoami", headers=headers)).status_code == 200
    async with db.transaction() as session:
        account = await account_by_username(session, "officer1")
        assert account is not None
        account.active = False
    assert (await client.get("/api/v1/auth/whoami", headers=headers)).status_code == 401


async def test_web_login_needs_the_csrf_token(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await _create(db, "qian.reviewer", Role.REVIEWER)
    form = {"username": "qian.reviewer", "password": TEST_PASSWORD}
    refused = await client.post("/login", data=form)
    assert refused.status_code == 403

    page = await client.get("/login")
    assert page.status_code == 200
    token = client.cookies.get("medcredit_csrf")
    assert token
    assert 'name="_csrf_token"' in page.text
    signed_in = await client.post(
        "/login", data={**form, "_csrf_token": token}, follow_redirects=False
    )
    assert signed_in.status_code in (302, 303)
    me = await client.get("/me")
    assert "qian.reviewer" in me.text

    # The session cookie never authenticates the JSON API (it needs no CSRF token there).
    assert (await client.get("/api/v1/auth/whoami")).status_code == 401


async def test_web_login_with_a_wrong_password_shows_the_form_again(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await _create(db, "zhou.officer")
    await client.get("/login")
    token = client.cookies.get("medcredit_csrf")
    answer = await client.post(
        "/login", data={"username": "zhou.officer", "password": "nope", "_csrf_token": token}
    )
    assert answer.status_code == 401
    assert "用户名或密码错误" in answer.text
    assert (await client.get("/me")).status_code in (200, 303)
    assert "zhou.officer" not in (await client.get("/me")).text


async def test_control_characters_in_a_user_name_are_refused_by_name(
    client: AsyncTestClient[Litestar],
) -> None:
    answer = await client.post(LOGIN, json={"username": "wang\x00", "password": "x"})
    assert answer.status_code == 400
    assert "username" in answer.json()["detail"]
