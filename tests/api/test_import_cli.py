"""`medcredit import records|metrics FILE` as an operator runs it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli.main import cli
from api.db import Database
from api.settings import get_settings
from tests.api.imports_support import (
    METRIC_COLUMNS,
    RECORD_COLUMNS,
    csv_text,
    metric,
    ndjson,
    read_csv,
    record,
    seed,
)


async def _seed(url: str) -> int:
    database = Database(url)
    try:
        return await seed(database)
    finally:
        await database.dispose()


@pytest.fixture
def hospital(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The CLI's database is the test database, with one hospital in it."""
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", "test-secret-key-that-is-long-enough")
    get_settings.cache_clear()
    yield asyncio.run(_seed(database_url))
    get_settings.cache_clear()


def test_cli_imports_records_and_writes_the_rejected_rows(hospital: int, tmp_path: Path) -> None:
    rows = [
        record(hospital, "c1"),
        record(hospital, "c2", decided_on="2025/03/01"),
        record(hospital, "c3"),
    ]
    file = tmp_path / "三月处罚.csv"
    file.write_text("\ufeff" + csv_text(rows, RECORD_COLUMNS), encoding="utf-8")

    result = CliRunner().invoke(cli, ["import", "records", str(file)])
    assert result.exit_code == 0, result.output
    assert "created 2, unchanged 0, rejected 1; stored" in result.output
    assert "line 3: decided_on must be a real date" in result.output
    rejected_file = tmp_path / "三月处罚.csv.rejected.csv"
    assert f"rejected rows with their errors: {rejected_file}" in result.output
    columns, rejected = read_csv(rejected_file.read_bytes())
    assert columns[-1] == "error"
    assert [(row["source_ref"], row["decided_on"]) for row in rejected] == [("c2", "2025/03/01")]

    again = CliRunner().invoke(cli, ["import", "records", str(file), "--mode", "all_or_nothing"])
    assert again.exit_code == 1
    assert "created 0, unchanged 2, rejected 1; nothing stored (all_or_nothing)" in again.output


def test_cli_import_of_an_unusable_file_exits_2_naming_the_column(
    hospital: int, tmp_path: Path
) -> None:
    file = tmp_path / "records.ndjson.txt"
    file.write_bytes(b"subject_id,item_code\n1,A\n")
    result = CliRunner().invoke(cli, ["import", "records", str(file), "--format", "csv"])
    assert result.exit_code == 2
    assert "lacks the required column decided_on" in result.output


def test_cli_imports_metrics_idempotently(hospital: int, tmp_path: Path) -> None:
    file = tmp_path / "metrics.ndjson"
    file.write_bytes(ndjson([metric(hospital, "m1"), metric(hospital, "m2", period="2025Q4")]))
    first = CliRunner().invoke(cli, ["import", "metrics", str(file)])
    assert first.exit_code == 0, first.output
    assert "created 2, unchanged 0, rejected 0" in first.output

    second = CliRunner().invoke(cli, ["import", "metrics", str(file)])
    assert "created 0, unchanged 2, rejected 0" in second.output

    csv_file = tmp_path / "metrics.csv"
    csv_file.write_text(csv_text([metric(hospital, "m1", discharges=5)], METRIC_COLUMNS))
    conflict = CliRunner().invoke(cli, ["import", "metrics", str(csv_file)])
    assert "line 2:" in conflict.output
    assert "already stored with other figures" in conflict.output
