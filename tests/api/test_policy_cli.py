"""`medcredit policy`: validate exit codes, and activation naming two different admins."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli.main import cli
from api.db import Database
from api.settings import get_settings
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role
from credit.kernel.clock import business_today
from credit.policy import regime
from credit.policy import service as policy
from credit.policy.loader import shipped_packs
from credit.policy.models import PackVersion

DEFAULTS = Path(__file__).resolve().parents[2] / "credit" / "policy" / "defaults"


@pytest.fixture
def runner(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def invoke(runner: CliRunner, args: list[str]) -> Result:
    # The CLI runs its own event loop, so it must run outside the test's loop.
    return await asyncio.to_thread(runner.invoke, cli, args)


def flat(result: Result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def test_validate_accepts_the_shipped_packs(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["policy", "validate", *map(str, sorted(DEFAULTS.glob("*.yaml")))]
    )
    assert result.exit_code == 0, result.output
    assert "valid national pack national" in result.output


def test_validate_names_file_path_and_rule(tmp_path: Path) -> None:
    text = (DEFAULTS / "hunan-2024.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "hunan-bad.yaml"
    bad.write_text(text.replace("{grade: B, min: 65", "{grade: B, min: 66"), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "validate", str(bad), str(broken)])
    assert result.exit_code == 1
    assert f"{bad}: grade_bands[1].min: no band covers scores from 65 up to 66 [gapped_bands]" in (
        result.output
    )
    assert f"{broken}: line 2, column 1:" in result.output
    assert "[yaml_syntax]" in result.output


async def _accounts_and_draft(db: Database) -> PackVersion:
    """Admins alice and bob, officer olga, and a draft alice wrote."""
    pack = next(pack for pack in shipped_packs() if pack.code == "inner-mongolia-2025")
    async with db.transaction() as session:
        created = {}
        for username, role in (("alice", Role.ADMIN), ("bob", Role.ADMIN), ("olga", Role.OFFICER)):
            created[username] = await accounts.create_account(
                session,
                SYSTEM_ACTOR,
                AccountCreate(username=username, password="long enough password", role=role),
            )
        return await policy.create_draft(
            session,
            accounts.actor_of(created["alice"]),
            code="inner-mongolia-2025",
            title="内蒙古 2026",
            effective_from=business_today() + timedelta(days=3),
            document=pack.document.model_dump(mode="json"),
        )


async def test_activate_needs_two_different_admins(db: Database, runner: CliRunner) -> None:
    version = await _accounts_and_draft(db)
    assert version.created_by == "alice"
    base = ["policy", "activate", "inner-mongolia-2025", "--version", str(version.version)]

    no_submitter = await invoke(runner, [*base, "--approved-by", "bob"])
    assert no_submitter.exit_code == 2
    assert "submitted_by: required_for_draft" in flat(no_submitter)

    officer = await invoke(runner, [*base, "--approved-by", "olga", "--submitted-by", "alice"])
    assert officer.exit_code == 2
    assert "approved_by: admin_account" in flat(officer)

    same = await invoke(runner, [*base, "--approved-by", "alice", "--submitted-by", "bob"])
    assert same.exit_code == 2
    assert "approved_by: four_eyes" in flat(same)

    done = await invoke(runner, [*base, "--approved-by", "bob", "--submitted-by", "alice"])
    assert done.exit_code == 0, done.output
    assert "approved by bob" in flat(done)
    async with db.transaction() as session:
        active = await regime.regime_at(session, "inner-mongolia-2025", version.effective_from)
    assert (active.id, active.submitted_by, active.approved_by) == (version.id, "alice", "bob")


async def test_load_defaults_list_and_show(db: Database, runner: CliRunner) -> None:
    loaded = await invoke(runner, ["policy", "load-defaults"])
    assert loaded.exit_code == 0, loaded.output
    assert "activated national version 1" in flat(loaded)
    again = await invoke(runner, ["policy", "load-defaults"])
    assert "nothing loaded" in flat(again)

    listed = await invoke(runner, ["policy", "list", "--status", "active"])
    assert listed.exit_code == 0
    assert "guangdong-2024" in flat(listed)
    shown = await invoke(runner, ["policy", "show", "national"])
    assert shown.exit_code == 0
    assert "# national version 1" in flat(shown)
    assert "ENF-38-SPLIT-ADMISSION" in flat(shown)
    missing = await invoke(runner, ["policy", "show", "national", "--version", "9"])
    assert missing.exit_code == 2
