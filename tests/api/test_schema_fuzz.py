"""Schemathesis against the app's own OpenAPI schema, authenticated as an admin.

Any input the schema allows (and much it does not) must get a non-5xx answer, and every answer
must match the schema the app publishes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.db import Database
from api.security import issue_token
from api.settings import Settings
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role


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
def api_schema(settings: Settings) -> Any:
    token = asyncio.run(_admin_token(settings))
    loaded = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings))
    loaded.token = token
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_error_and_answers_match_the_schema(case: Any, api_schema: Any) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_schema.token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
