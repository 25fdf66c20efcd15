"""The `medcredit` command line: schema upgrade, accounts and API keys."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.cli.main import cli
from api.settings import get_settings


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", "test-secret-key-that-is-long-enough")
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def _invoke(runner: CliRunner, args: list[str]) -> Result:
    # The CLI runs its own event loop, so it must run outside the test's loop.
    return await asyncio.to_thread(runner.invoke, cli, args)


async def test_db_upgrade_migrates_and_activates_the_default_packs(
    monkeypatch: pytest.MonkeyPatch, empty_database_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        first = await _invoke(CliRunner(), ["db", "upgrade"])
        assert first.exit_code == 0, first.output
        assert "default policy pack activated: national v1" in first.output
        assert "official holiday schedule loaded: 2026" in first.output
        again = await _invoke(CliRunner(), ["db", "upgrade"])
        assert again.exit_code == 0, again.output
        assert "activated" not in again.output
    finally:
        get_settings.cache_clear()


async def test_api_key_is_printed_alone_on_the_last_line_and_works(
    run_cli: CliRunner, client: AsyncTestClient[Litestar]
) -> None:
    answer = await _invoke(
        run_cli, ["api-keys", "create", "--agency", "省卫生健康委", "--scopes", "feed:black,verify"]
    )
    assert answer.exit_code == 0, answer.output
    key = answer.output.strip().splitlines()[-1]
    assert key.startswith("mck_")
    assert " " not in key
    me = await client.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
    assert me.json()["scopes"] == ["feed:black", "verify"]


async def test_api_key_with_an_unknown_scope_is_refused(run_cli: CliRunner) -> None:
    answer = await _invoke(run_cli, ["api-keys", "create", "--agency", "x", "--scopes", "all"])
    assert answer.exit_code == 2
    assert "scopes" in answer.output


async def test_accounts_create_then_log_in(
    run_cli: CliRunner, client: AsyncTestClient[Litestar]
) -> None:
    answer = await _invoke(
        run_cli,
        [
            "accounts",
            "create",
            "--username",
            "chen.admin",
            "--password",
            "long-enough-1",
            "--role",
            "admin",
        ],
    )
    assert answer.exit_code == 0, answer.output
    login = await client.post(
        "/api/v1/auth/login", json={"username": "chen.admin", "password": "long-enough-1"}
    )
    assert login.status_code == 200


async def test_a_subject_account_needs_its_subject(run_cli: CliRunner) -> None:
    answer = await _invoke(
        run_cli,
        [
            "accounts",
            "create",
            "--username",
            "subj",
            "--password",
            "long-enough-1",
            "--role",
            "subject",
        ],
    )
    assert answer.exit_code == 2
    assert "subject_id" in answer.output


async def test_a_short_password_is_refused_by_name(run_cli: CliRunner) -> None:
    answer = await _invoke(
        run_cli,
        ["accounts", "create", "--username", "wu", "--password", "short", "--role", "admin"],
    )
    assert answer.exit_code == 2
    assert "password" in answer.output
    assert "Traceback" not in answer.output
