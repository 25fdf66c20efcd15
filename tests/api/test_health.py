"""Liveness, readiness and the OpenAPI schema."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from api.app import create_app
from api.db import Database
from api.migrate import head_revision, upgrade
from api.settings import Settings


async def test_health_answers_without_login(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_ready_refuses_a_schema_that_is_not_at_head(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    async with db.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    answer = await client.get("/ready")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "migrations are at" in answer.json()["detail"]


async def test_ready_answers_once_migrated(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.get("/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json()["revision"] == head_revision()


async def test_ready_after_a_real_upgrade(settings: Settings, empty_database_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_database_url)
    app = create_app(replace(settings, database_url=empty_database_url))
    async with AsyncTestClient(app=app) as client:
        answer = await client.get("/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ready"


async def test_openapi_schema_is_served(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.get("/schema/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    assert "/api/v1/auth/login" in paths
    assert "/api/v1/subjects" in paths


async def test_unknown_route_is_a_problem_answer(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
