"""Deadlines in working days over HTTP and on the command line, with the fallback warning."""

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
from credit.calendar.service import FALLBACK_WARNING
from tests.conftest import AuthHeaders

Client = AsyncTestClient[Litestar]


async def test_anyone_asks_for_a_deadline(client: Client) -> None:
    national_day = await client.get("/api/v1/calendar/deadline?start=2026-09-30&days=3")
    assert national_day.status_code == 200, national_day.text
    assert national_day.json() == {
        "start": "2026-09-30",
        "days": 3,
        "deadline": "2026-10-10",
        "exact": True,
        "warning": None,
    }
    unknown = (await client.get("/api/v1/calendar/deadline?start=2990-03-01&days=3")).json()
    assert (unknown["exact"], unknown["warning"]) == (False, FALLBACK_WARNING)
    year = (await client.get("/api/v1/calendar/2990")).json()
    assert year["warning"] == FALLBACK_WARNING


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-09-30&days=-1",
        "start=2026-09-30&days=99999",
        "start=2026-02-30&days=3",
        "days=3",
    ],
)
async def test_a_bad_deadline_question_is_refused(client: Client, query: str) -> None:
    answer = await client.get(f"/api/v1/calendar/deadline?{query}")
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"holidays": ["2027-13-01"]}, 400, "holidays"),
        ({"holidays": "2027-01-01"}, 400, "holidays"),
        ({"holidays": ["2027-01-01"], "make_up": []}, 400, "make_up"),
        ({"holidays": ["2027-01-01", "2027-01-01"]}, 422, "holidays[1]"),
        ({"holidays": ["2027-01-01"], "workdays": ["2027-01-05"]}, 422, "workdays[0]"),
    ],
)
async def test_a_malformed_schedule_is_refused_and_nothing_changes(
    client: Client, auth_headers: AuthHeaders, body: object, status: int, names: str
) -> None:
    admin = await auth_headers("admin")
    answer = await client.put("/api/v1/calendar/2027", json=body, headers=admin)
    assert answer.status_code == status, answer.text
    assert names in answer.text
    year = (await client.get("/api/v1/calendar/2027")).json()
    assert year["source"] == "weekends_only"


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


async def test_cli_prints_the_deadline_and_warns_past_the_known_calendar(
    run_cli: CliRunner,
) -> None:
    national_day = await _invoke(run_cli, ["calendar", "deadline", "2026-09-30", "3"])
    assert national_day.exit_code == 0, national_day.output
    assert national_day.output.strip() == "2026-10-10"
    far = await _invoke(run_cli, ["calendar", "deadline", "2990-03-01", "3"])
    assert far.exit_code == 0, far.output
    assert far.output.splitlines()[0] == "2990-03-04"  # from Monday the 1st
    assert "warning" in far.output
    negative = await _invoke(run_cli, ["calendar", "deadline", "2026-09-30", "--", "-1"])
    assert negative.exit_code == 2
    assert "days" in negative.output
    not_a_date = await _invoke(run_cli, ["calendar", "deadline", "2026-09-31", "3"])
    assert not_a_date.exit_code == 2
