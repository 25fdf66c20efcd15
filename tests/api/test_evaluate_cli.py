"""`medcredit evaluate`: runs a cycle and prints grade counts; bad input exits with the rule."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli.main import cli
from api.db import Database
from api.settings import get_settings
from indicators import repository
from tests.indicators.support import add_record, hospital, seed


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


async def test_evaluate_runs_the_cycle_and_prints_grades(db: Database, runner: CliRunner) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await hospital(db, 2)
    await add_record(db, subject, "CRM-REFERRAL", "2025-03-01", "r1")
    args = [
        "evaluate",
        "--cycle",
        "2025",
        "--profile",
        "hunan-2024",
        "--kinds",
        "medical_institution",
    ]
    result = await invoke(runner, args)
    assert result.exit_code == 0, result.output
    assert "2 subjects" in " ".join(result.output.split())
    async with db.transaction() as session:
        (run,) = await repository.runs(session)
        assert await repository.grade_counts(session, run.id or 0) == {"B": 1, "D": 1}


async def test_evaluate_refuses_a_future_cycle(db: Database, runner: CliRunner) -> None:
    await seed(db)
    result = await invoke(runner, ["evaluate", "--cycle", "2999", "--profile", "hunan-2024"])
    assert result.exit_code == 2
    assert "cycle_not_future" in " ".join(result.output.split())


async def test_simulate_prints_the_transition_matrix(db: Database, runner: CliRunner) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await add_record(db, subject, "MON-SPLIT-CHARGE", "2025-03-01", "r1", rule_code="R-9")
    run = await invoke(
        runner,
        [
            "evaluate",
            "--cycle",
            "2025",
            "--profile",
            "hunan-2024",
            "--kinds",
            "medical_institution",
        ],
    )
    assert run.exit_code == 0, run.output
    async with db.transaction() as session:
        (evaluation,) = await repository.runs(session)
        set_id = evaluation.set_ids[0]
    args = ["simulate", "--name", "same", "--baseline", str(evaluation.id), "--set-id", str(set_id)]
    result = await invoke(runner, args)
    assert result.exit_code == 0, result.output
    assert "1 subjects" in " ".join(result.output.split())
    assert "grade changed: 0" in result.output
