"""Schemathesis against the app's own OpenAPI schema, authenticated as an admin.

Any input the schema allows (and much it does not) must get a non-5xx answer, and every answer
must match the schema the app publishes. The schema is read from an app built at import time;
each test then calls an app bound to that test's own database.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.db import Database
from api.security import issue_token
from api.settings import Settings
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role

_SCHEMA_ONLY = Settings(database_url="sqlite+aiosqlite://", secret_key="schema-only")
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(_SCHEMA_ONLY))


async def _admin_token(settings: Settings) -> str:
    database = Database(settings.database_url)
    async with database.transaction() as session:
        account = await accounts.create_account(
            session,
            SYSTEM_ACTOR,
            AccountCreate(username="fuzz.admin", password="fuzz-password-1", role=Role.ADMIN),
        )
    await database.dispose()
    token, _ = issue_token(settings, account)
    return token


@pytest.fixture
def fuzz_target(settings: Settings) -> tuple[Litestar, dict[str, str]]:
    token = asyncio.run(_admin_token(settings))
    return create_app(settings), {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_error_and_answers_match_the_schema(
    case: Any, fuzz_target: tuple[Litestar, dict[str, str]]
) -> None:
    app, headers = fuzz_target
    response = case.call_and_validate(
        app=app, headers=headers, checks=[not_a_server_error, response_schema_conformance]
    )
    if case.path != "/api/v1/auth/login":
        # Otherwise every call could be a 401 and the run would prove nothing.
        assert response.status_code != 401, (case.method, response.text)
