"""Backup and restore as an operator runs them: `medcredit backup` / `medcredit restore` on the
SQLite default (while the database is being written), and pg_dump -Fc / pg_restore on PostgreSQL.
A restored copy passes SQLite's integrity check, its audit chain verifies and its change log has
no entry without its change."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text

from api.cli.main import cli
from api.db import Database, metadata
from api.migrate import alembic_config, head_revision, upgrade
from api.settings import get_settings
from credit.audit import service as audit
from credit.policy.vocabulary import ListName
from tests.conftest import POSTGRES_URL, REQUIRE_ALL, _admin_execute, _truncate_all
from tests.credit.feeds.support import institution, put_on, seed

MEDCREDIT = str(Path(sys.executable).parent / "medcredit")
ORPHAN_CHANGES = (
    "SELECT count(*) FROM change_log c WHERE c.entity = 'list_entry' "
    "AND NOT EXISTS (SELECT 1 FROM list_entry e WHERE e.id = c.entity_id)"
)


def _env(database: Path, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MEDCREDIT_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "MEDCREDIT_SECRET_KEY": "test-secret-key-that-is-long-enough",
        "MEDCREDIT_VAR_DIR": str(tmp_path / "var"),
    }


def _cli(database: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MEDCREDIT, *args],
        env=_env(database, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _invoke(database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """The command in this process (no start-up cost) for what needs no second process."""
    for name, value in _env(database, tmp_path).items():
        if name.startswith("MEDCREDIT_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        get_settings.cache_clear()


def _count(file: Path, query: str) -> int:
    with closing(sqlite3.connect(file)) as connection:
        return int(connection.execute(query).fetchone()[0])


async def _chain(url: str) -> audit.ChainReport:
    database = Database(url)
    try:
        async with database.sessionmaker() as session:
            return await audit.verify(session)
    finally:
        await database.dispose()


@pytest.fixture
def live(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    return path


async def _populated(path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{path}")
    await seed(database)
    for number in (1, 2):
        await put_on(database, ListName.BLACK, await institution(database, number, f"医院{number}"))
    return database


async def _populate_and_close(path: Path) -> None:
    await (await _populated(path)).dispose()


async def test_a_backup_taken_while_the_database_is_written_is_consistent(
    live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = await _populated(live)
    written = 2

    async def keep_writing(stop: asyncio.Event) -> None:
        nonlocal written
        while not stop.is_set():
            written += 1
            await institution(database, written, f"诊所{written}")

    stop = asyncio.Event()
    writer = asyncio.create_task(keep_writing(stop))
    copy = tmp_path / "backup.db"
    try:
        started_at = written
        process = await asyncio.create_subprocess_exec(
            MEDCREDIT,
            "backup",
            str(copy),
            env=_env(live, tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        finished_at = written
    finally:
        stop.set()
        await writer
        await database.dispose()
    assert process.returncode == 0, err.decode()
    assert "integrity ok" in out.decode()
    assert finished_at > started_at, "the writer kept writing while the backup ran"

    # The copy is one moment of the database: whole transactions only.
    assert _count(copy, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'")
    subjects = _count(copy, "SELECT count(*) FROM subject")
    assert 2 <= subjects <= written
    registered = "SELECT count(*) FROM audit_event WHERE action = 'subject.register'"
    assert _count(copy, registered) == subjects
    assert _count(copy, ORPHAN_CHANGES) == 0
    report = await _chain(f"sqlite+aiosqlite:///{copy}")
    assert report.intact, report.problem
    assert report.checked == _count(copy, "SELECT count(*) FROM audit_event")
    # A self-contained file: nothing beside it.
    assert not copy.with_name(copy.name + "-wal").exists()

    # backup never overwrites a file unasked.
    again = _invoke(live, tmp_path, monkeypatch, "backup", str(copy))
    assert again.exit_code == 2
    assert "--force" in again.output


def test_restore_brings_back_the_backup_and_its_audit_chain(
    live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(_populate_and_close(live))
    copy = tmp_path / "backup.db"
    assert _invoke(live, tmp_path, monkeypatch, "backup", str(copy)).exit_code == 0
    target = tmp_path / "restored" / "medcredit.db"

    restored = _invoke(target, tmp_path, monkeypatch, "restore", str(copy))

    assert restored.exit_code == 0, restored.output
    for table in ("subject", "list_entry", "change_log", "audit_event"):
        query = f"SELECT count(*) FROM {table}"
        assert _count(target, query) == _count(copy, query), table
    with closing(sqlite3.connect(target)) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            head_revision()
        )
    report = asyncio.run(_chain(f"sqlite+aiosqlite:///{target}"))
    assert report.intact
    assert report.checked == _count(copy, "SELECT count(*) FROM audit_event")
    verified = _invoke(target, tmp_path, monkeypatch, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output


async def test_restore_refuses_a_database_in_use_unless_forced(live: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backup.db"
    shutil.copy(live, copy)  # a backup of the empty schema
    database = await _populated(live)  # then the server writes on, and keeps it open
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            refused = _cli(live, tmp_path, "restore", str(copy))
            assert refused.returncode == 2
            assert "open in another process" in refused.stderr
            assert "--force" in refused.stderr
        async with database.sessionmaker() as session:
            count = select(func.count()).select_from(metadata.tables["subject"])
            assert (await session.execute(count)).scalar() == 2  # untouched

            forced = _cli(live, tmp_path, "restore", "--force", str(copy))
            assert forced.returncode == 0, forced.stderr
        # The open server sees the restored database at its next transaction.
        async with database.sessionmaker() as session:
            assert (await session.execute(count)).scalar() == 0
    finally:
        await database.dispose()
    assert _count(live, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'")


def test_restore_refuses_what_is_not_a_medcredit_database(
    live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = live.read_bytes()
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database")
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
    future = tmp_path / "future.db"
    shutil.copy(live, future)
    with closing(sqlite3.connect(future)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        connection.commit()

    for file, reason in (
        (text_file, "is not an SQLite database"),
        (other, "is not a medcredit database"),
        (future, "does not know"),
    ):
        refused = _invoke(live, tmp_path, monkeypatch, "restore", str(file))
        assert refused.exit_code == 2, file
        assert reason in refused.output
    assert live.read_bytes() == before


def test_a_backup_of_an_older_release_is_migrated_to_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = head_revision()
    assert head is not None
    script = ScriptDirectory.from_config(alembic_config(""))
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    old = tmp_path / "old.db"
    upgrade(f"sqlite+aiosqlite:///{old}", previous)
    target = tmp_path / "medcredit.db"

    restored = _invoke(target, tmp_path, monkeypatch, "restore", str(old))

    assert restored.exit_code == 0, restored.output
    assert f"revision {previous}" in restored.output
    with closing(sqlite3.connect(target)) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {table.name for table in metadata.sorted_tables} <= tables


def test_backup_and_restore_name_pg_dump_for_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", "postgresql+asyncpg://x/y")
    get_settings.cache_clear()
    try:
        for args in (["backup", str(tmp_path / "b.db")], ["restore", __file__]):
            answer = CliRunner().invoke(cli, args)
            assert answer.exit_code == 2
            assert "pg_dump" in answer.output
    finally:
        get_settings.cache_clear()


# ------------------------------------------------------------------ PostgreSQL


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if REQUIRE_ALL:
            pytest.fail(f"{name} is required here")
        pytest.skip(f"{name} is not installed")
    return found


def _run(*command: str) -> None:
    subprocess.run(command, check=True, timeout=300)


async def _table_counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return {
                table.name: int(
                    (await connection.execute(select(func.count()).select_from(table))).scalar()
                    or 0
                )
                for table in metadata.sorted_tables
            }
    finally:
        await database.dispose()


async def _seqs(url: str) -> list[int]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            query = text("SELECT seq FROM change_log ORDER BY seq")
            return [int(seq) for seq in (await connection.execute(query)).scalars()]
    finally:
        await database.dispose()


@pytest.fixture
async def pg_db(postgres_ready: str) -> AsyncIterator[Database]:
    await _truncate_all(postgres_ready)
    database = Database(postgres_ready)
    yield database
    await database.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs MEDCREDIT_TEST_POSTGRES_URL")
async def test_pg_dump_and_pg_restore_as_the_readme_says(pg_db: Database, tmp_path: Path) -> None:
    db = pg_db
    pg_dump, pg_restore = _pg_tool("pg_dump"), _pg_tool("pg_restore")
    await seed(db)
    for number in (1, 2, 3):
        await put_on(db, ListName.BLACK, await institution(db, number, f"医院{number}"))
    plain = db.url.replace("postgresql+asyncpg://", "postgresql://")
    dump = tmp_path / "medcredit.dump"
    restored_name = f"{plain.rsplit('/', 1)[1]}_restored"
    restored_url = db.url.rsplit("/", 1)[0] + f"/{restored_name}"
    restored_plain = plain.rsplit("/", 1)[0] + f"/{restored_name}"

    # The README's commands.
    _run(pg_dump, "-Fc", "-f", str(dump), plain)
    await _admin_execute(db.url, f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
    await _admin_execute(db.url, f'CREATE DATABASE "{restored_name}"')
    try:
        _run(pg_restore, "--no-owner", "--exit-on-error", "-d", restored_plain, str(dump))

        assert await _table_counts(restored_url) == await _table_counts(db.url)
        assert await _seqs(restored_url) == await _seqs(db.url)
        report = await _chain(restored_url)
        assert report.intact
        assert report.checked == (await _table_counts(db.url))["audit_event"]
    finally:
        await _admin_execute(db.url, f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
