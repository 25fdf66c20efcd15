"""The calendar API: anyone reads a year, an admin loads one; the CLI loads a file."""

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
from tests.conftest import AuthHeaders

SCHEDULE = {"holidays": ["2027-01-01", "2027-02-06"], "workdays": ["2027-02-20"]}


async def test_anyone_reads_and_only_an_admin_loads(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    known = await client.get("/api/v1/calendar/2025")
    assert known.status_code == 200, known.text
    assert (known.json()["source"], known.json()["exact"]) == ("package", True)
    unknown = (await client.get("/api/v1/calendar/2990")).json()
    assert (unknown["source"], unknown["exact"]) == ("weekends_only", False)

    officer = await client.put(
        "/api/v1/calendar/2027", json=SCHEDULE, headers=await auth_headers("officer")
    )
    assert officer.status_code == 403
    admin = await auth_headers("admin")
    loaded = await client.put("/api/v1/calendar/2027", json=SCHEDULE, headers=admin)
    assert loaded.status_code == 200, loaded.text
    assert (loaded.json()["source"], loaded.json()["workdays"]) == ("loaded", ["2027-02-20"])
    wrong = await client.put(
        "/api/v1/calendar/2027", json={"holidays": ["2028-01-01"]}, headers=admin
    )
    assert (wrong.status_code, wrong.json()["rule"]) == (422, "in_year")
    out_of_range = await client.get("/api/v1/calendar/1999")
    assert out_of_range.status_code == 400


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


async def test_cli_loads_a_file_and_names_a_bad_field(run_cli: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "2027.yaml"
    good.write_text("year: 2027\nholidays: [2027-01-01]\nworkdays: []\n")
    result = await _invoke(run_cli, ["calendar", "load", str(good)])
    assert result.exit_code == 0, result.output
    assert "calendar 2027 loaded: 1 holidays" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-05]\n")
    refused = await _invoke(run_cli, ["calendar", "load", str(bad)])
    assert refused.exit_code == 2
    assert "workdays[0]" in refused.output
