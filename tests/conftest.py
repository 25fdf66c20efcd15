"""Fixtures: each test runs on SQLite, and on PostgreSQL when MEDCREDIT_TEST_POSTGRES_URL is set.

Each test starts from an empty schema: SQLite tests get a copy of a freshly built template file,
PostgreSQL tests get every table truncated. Migrations are tested separately against models.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from alembic import command
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from api.app import create_app
from api.db import Database, metadata
from api.migrate import alembic_config, head_revision
from api.settings import Settings
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.accounts.passwords import use_cost
from credit.kernel.actor import SYSTEM_ACTOR, Role
from credit.policy import service as policy
from credit.policy.models import PackVersion

# Production-strength Argon2 would make account fixtures the slowest part of the suite.
use_cost(time_cost=1, memory_cost_kib=1024)

POSTGRES_URL = os.environ.get("MEDCREDIT_TEST_POSTGRES_URL", "")
# CI installs everything a test may need; there a missing tool fails the test instead of skipping.
REQUIRE_ALL = os.environ.get("MEDCREDIT_REQUIRE_ALL_TESTS") == "1"


def unavailable(what: str) -> NoReturn:
    """Skip for want of an optional test tool (chromium, FollowTheMoney), or fail in CI."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required here (MEDCREDIT_REQUIRE_ALL_TESTS=1)")
    pytest.skip(f"{what} is not installed")


BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
TEST_PASSWORD = "correct horse battery"


def asyncpg_url(url: str) -> str:
    """The asyncpg form of a PostgreSQL URL (CI passes a plain postgresql:// one)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _build_schema(url: str) -> None:
    """Tables straight from the models, stamped as the newest migration (drift is tested apart)."""

    async def create() -> None:
        database = Database(url)
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        await database.dispose()

    asyncio.run(create())
    command.stamp(alembic_config(url), "head")


async def _truncate_all(url: str) -> None:
    database = Database(url)
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    # alembic_version is not truncated: it is not in the models' metadata.
    async with database.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # Tests may move the stamped revision (readiness); put it back at head.
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
        )
    await database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _build_schema(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> Iterator[str]:
    """A database of this test process's own on the server named by the variable.

    Concurrent test runs (several developers, or pytest-xdist) never share tables.
    """
    base = asyncpg_url(POSTGRES_URL)
    name = f"{base.rsplit('/', 1)[1]}_{os.getpid()}"
    asyncio.run(_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin_execute(base, f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    _build_schema(url)
    yield url
    asyncio.run(_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database with the current schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "medcredit.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_ready")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough",
        var_dir=tmp_path / "var",
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
async def policy_defaults(db: Database) -> list[PackVersion]:
    """The shipped policy packs, activated as `medcredit db upgrade` does on a new database."""
    async with db.transaction() as session:
        return await policy.ensure_defaults(session)


AuthHeaders = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def auth_headers(client: AsyncTestClient[Litestar], db: Database) -> AuthHeaders:
    """`await auth_headers("officer")` → headers of a freshly created, logged-in account."""
    counter = {"n": 0}

    async def make(role: str, subject_id: int | None = None) -> dict[str, str]:
        counter["n"] += 1
        username = f"{role}{counter['n']}"
        async with db.transaction() as session:
            await accounts.create_account(
                session,
                SYSTEM_ACTOR,
                AccountCreate(
                    username=username,
                    password=TEST_PASSWORD,
                    role=Role(role),
                    subject_id=subject_id,
                ),
            )
        answer = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": TEST_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return make


async def _admin_execute(url: str, statement: str) -> None:
    """Run a statement outside a transaction on the server's maintenance database."""
    database = Database(url.rsplit("/", 1)[0] + "/postgres")
    async with database.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(statement))
    await database.dispose()


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migrations), on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    base = asyncpg_url(POSTGRES_URL)
    name = f"medcredit_scratch_{os.getpid()}_{tmp_path.name[-20:]}".lower().replace("-", "_")
    name = "".join(ch for ch in name if ch.isalnum() or ch == "_")
    asyncio.run(_admin_execute(base, f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
