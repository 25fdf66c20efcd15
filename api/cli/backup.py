"""`medcredit backup FILE` and `medcredit restore FILE` for the SQLite default.

Both go through SQLite's online backup API, never a file copy: a backup is one consistent
snapshot (a read transaction; in WAL mode the server keeps writing meanwhile), and a restore
writes through SQLite's own locking, so a server that has the database open sees the restored
content at its next transaction instead of writing on into an unlinked file. PostgreSQL is
backed up with pg_dump -Fc and pg_restore (README, Reliability).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url

from api.migrate import alembic_config, upgrade
from api.settings import get_settings

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every medcredit database has had since the first migration.
REQUIRED_TABLES = {"alembic_version", "audit_event", "subject", "account"}
# Every connection to a WAL database holds a shared lock on this byte of its -shm file for as
# long as it is open (SQLite's "dead man switch", unix VFS); an exclusive lock on it is refused
# while any other process has the database open.
SHM_DMS_BYTE = 128


def _refuse(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def sqlite_path(database_url: str) -> Path:
    """The file of the configured SQLite database; PostgreSQL is refused with what to use."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        _refuse(
            "backup and restore are for the SQLite default; for PostgreSQL use pg_dump -Fc "
            "and pg_restore (README: Reliability)"
        )
    return Path(str(url.database))


def in_use(path: Path) -> bool:
    """Whether another process has the database open (its -shm file's lock is held)."""
    shm = path.with_name(path.name + "-shm")
    if not shm.exists():
        return False
    with shm.open("r+b") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_BYTE, os.SEEK_SET)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN, 1, SHM_DMS_BYTE, os.SEEK_SET)
    return False


def _integrity(connection: sqlite3.Connection) -> str:
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows[:5])


def backup_to(source: Path, target: Path) -> tuple[int, str | None]:
    """Copy `source` into `target` as one snapshot; the audit events and revision it holds."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(source, timeout=15)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            # pages=-1: every page in one step, inside one read transaction of the source.
            live.backup(copy, pages=-1)
            # A self-contained file: no -wal beside it to lose when it is moved around.
            copy.execute("PRAGMA journal_mode=DELETE")
            checked = _integrity(copy)
            if checked != "ok":
                raise click.ClickException(f"the copy failed its integrity check: {checked}")
            events = int(copy.execute("SELECT count(*) FROM audit_event").fetchone()[0])
            revision = _revision(copy)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return events, revision


def _revision(connection: sqlite3.Connection) -> str | None:
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def check_backup(file: Path) -> str:
    """The migration revision of a medcredit backup; refuses anything else, naming why."""
    with file.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            _refuse(f"{file} is not an SQLite database")
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as connection:
            tables = {
                str(row[0])
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            missing = REQUIRED_TABLES - tables
            if missing:
                _refuse(f"{file} is not a medcredit database (no {', '.join(sorted(missing))})")
            checked = _integrity(connection)
            if checked != "ok":
                _refuse(f"{file} failed its integrity check: {checked}")
            revision = _revision(connection)
    except sqlite3.DatabaseError as error:
        _refuse(f"{file} cannot be read as a database: {error}")
    if revision is None:
        _refuse(f"{file} carries no migration revision")
    assert revision is not None
    try:
        known = ScriptDirectory.from_config(alembic_config("")).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        _refuse(
            f"{file} is at migration revision {revision!r}, which this medcredit does not "
            "know (a newer release made it?)"
        )
    return revision


def restore_from(file: Path, target: Path) -> None:
    """Write every page of `file` into `target` through SQLite (online, under its locks)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as backup,
        closing(sqlite3.connect(target, timeout=15)) as live,
    ):
        backup.backup(live, pages=-1)
        live.execute("PRAGMA journal_mode=WAL")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace FILE if it exists")
def backup(file: Path, force: bool) -> None:
    """Back the SQLite database up into FILE, consistently, while the server keeps serving."""
    source = sqlite_path(get_settings().database_url)
    if not source.exists():
        _refuse(f"there is no database at {source}")
    if file.exists() and not force:
        _refuse(f"{file} exists; pass --force to replace it")
    if file.resolve() == source.resolve():
        _refuse("FILE is the database itself")
    events, revision = backup_to(source, file)
    click.echo(
        f"backed up {source} to {file}: {file.stat().st_size:,} bytes, revision {revision}, "
        f"{events:,} audit events, integrity ok"
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="restore even though a running server has the database open"
)
def restore(file: Path, force: bool) -> None:
    """Restore the SQLite database from a backup FILE, then migrate it to the newest schema."""
    settings = get_settings()
    target = sqlite_path(settings.database_url)
    if file.resolve() == target.resolve():
        _refuse("FILE is the database itself")
    revision = check_backup(file)
    if in_use(target) and not force:
        _refuse(
            f"{target} is open in another process (a running server?); stop it, or pass "
            "--force to restore under it (its next transactions see the restored data)"
        )
    restore_from(file, target)
    upgrade(settings.database_url)
    click.echo(f"restored {target} from {file} (revision {revision}) and migrated it to head")
