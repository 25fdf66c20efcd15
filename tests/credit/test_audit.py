"""The hash-chained audit log: appended on every change, verified, tamper evident."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from api.cli.main import cli
from api.db import Database
from api.settings import get_settings
from credit.audit import service as audit
from credit.kernel.actor import SYSTEM_ACTOR


async def _three_events(db: Database) -> None:
    async with db.transaction() as session:
        for n in range(3):
            await audit.record(
                session, SYSTEM_ACTOR, "test.change", "thing", n, {"n": n, "名": "张三"}
            )


async def test_events_link_into_an_intact_chain(db: Database) -> None:
    await _three_events(db)
    async with db.sessionmaker() as session:
        report = await audit.verify(session)
    assert report.intact
    assert report.checked == 3


async def test_an_altered_change_is_named(db: Database) -> None:
    await _three_events(db)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE audit_event SET change = :forged WHERE seq = 2"), {"forged": '{"n":99}'}
        )
    async with db.sessionmaker() as session:
        report = await audit.verify(session)
    assert report.first_broken_seq == 2
    assert "altered" in (report.problem or "")


async def test_an_altered_actor_is_named(db: Database) -> None:
    await _three_events(db)
    async with db.transaction() as session:
        await session.execute(text("UPDATE audit_event SET actor = 'someone-else' WHERE seq = 3"))
    async with db.sessionmaker() as session:
        report = await audit.verify(session)
    assert report.first_broken_seq == 3


async def test_a_removed_event_is_named(db: Database) -> None:
    await _three_events(db)
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    async with db.sessionmaker() as session:
        report = await audit.verify(session)
    assert report.first_broken_seq == 3
    assert "event 2 is missing" in (report.problem or "")


async def test_a_rolled_back_change_leaves_no_event(db: Database) -> None:
    async def failing_change() -> None:
        async with db.transaction() as session:
            await audit.record(session, SYSTEM_ACTOR, "test.change", "thing", 1, {})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with db.sessionmaker() as session:
        report = await audit.verify(session)
    assert report.checked == 0


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def test_cli_audit_verify_exit_codes(db: Database, cli_env: CliRunner) -> None:
    await _three_events(db)
    intact = await _invoke(cli_env, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "intact: 3 events" in intact.output

    async with db.transaction() as session:
        await session.execute(text("UPDATE audit_event SET target_id = 'x' WHERE seq = 1"))
    broken = await _invoke(cli_env, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "broken at event 1" in broken.output


async def _invoke(runner: CliRunner, args: list[str]) -> Result:
    # The CLI runs its own event loop, so it must run outside the test's loop.
    return await asyncio.to_thread(runner.invoke, cli, args)
