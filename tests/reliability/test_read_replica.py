"""Partners read from a PostgreSQL streaming replica; their call log and every write go to the
primary; while the replica lags a partner sees the last replayed state, never a cursor ahead of it.

The replica is real: a second cluster on a free port, made with `pg_basebackup -R` from the
primary that MEDCREDIT_TEST_POSTGRES_URL names, started with `pg_ctl` as the `postgres` user.
The primary needs a pg_hba.conf entry for replication connections from 127.0.0.1; when it has
none, the set-up adds one (the tests run as root in CI, with trust authentication) and removes
it again afterwards. The same steps, by hand, are in the README (Reliability → Read replica).

A fast part runs on every backend: with the read URL naming a copy of the database frozen at
one moment (a replica whose replay stopped), the partner endpoints and public pages answer what
the copy holds while their call log lands on the primary; and the read engine refuses writes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text

from api.app import create_app
from api.db import Database, metadata
from api.settings import Settings
from credit.accounts import api_keys
from credit.accounts.models import PartnerCall
from credit.feeds import keys
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.clock import business_today
from credit.policy.vocabulary import ListName
from tests.conftest import POSTGRES_URL, REQUIRE_ALL, asyncpg_url
from tests.credit.feeds.support import institution, put_on, seed, uscc_for
from tests.credit.lists.support import published_since

SECRET = "test-secret-key-that-is-long-enough"
BLACK = "/api/v1/feeds/black/changes"
CATCH_UP_SECONDS = 120.0


# ------------------------------------------------------------------ every backend


async def _frozen_copy(db: Database, settings: Settings) -> str:
    """A copy of the database as it is now: a replica whose replay stopped here."""
    await db.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    if settings.database_url.startswith("sqlite"):
        path = Path(settings.database_url.split("///", 1)[1])
        copy = path.with_name("frozen.db")
        with closing(sqlite3.connect(path)) as live, closing(sqlite3.connect(copy)) as frozen:
            live.backup(frozen)
        return f"sqlite+aiosqlite:///{copy}"
    server, name = settings.database_url.rsplit("/", 1)
    await _admin_fetch(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}_frozen"')
    await _admin_fetch(f"{server}/postgres", f'CREATE DATABASE "{name}_frozen" TEMPLATE "{name}"')
    return f"{settings.database_url}_frozen"


async def _drop_copy(url: str) -> None:
    if url.startswith("postgresql"):
        server, name = url.rsplit("/", 1)
        await _admin_fetch(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_with_a_read_url_partners_and_public_pages_read_there_and_log_on_the_primary(
    settings: Settings, db: Database
) -> None:
    """The read database here is a copy frozen before the second listing: what the partner
    endpoints and public pages answer shows where they read; the call log shows where it went."""
    await seed(db)
    started = business_today() - timedelta(days=45)
    first = await institution(db, 1, "长沙仁和医院")
    await published_since(db, ListName.BLACK, first, started)
    key = await _partner_key(db)
    frozen = await _frozen_copy(db, settings)
    try:
        await published_since(db, ListName.BLACK, await institution(db, 2, "湘潭同心诊所"), started)
        app = create_app(dataclasses.replace(settings, read_database_url=frozen))
        async with AsyncTestClient(app=app) as client:
            partner = Partner(client, {"Authorization": f"Bearer {key}"})
            page = await partner.changes("0")
            assert {c["entry"]["subject"]["name"] for c in page["changes"]} == {"长沙仁和医院"}
            assert (await partner.verify(1))["listed"] is True
            assert (await partner.verify(2))["found"] is False
            matched = await client.post(
                "/api/v1/match",
                json={"queries": [{"name": "湘潭同心诊所"}, {"name": "长沙仁和医院"}]},
                headers=partner.headers,
            )
            assert matched.status_code == 200, matched.text
            found = [r["candidates"] for r in matched.json()["results"]]
            assert [c["subject"]["id"] for c in found[1]][:1] == [first]
            assert all(c["subject"]["name"] != "湘潭同心诊所" for c in found[0])
            snapshot = await client.get("/api/v1/feeds/black/snapshot", headers=partner.headers)
            assert snapshot.status_code == 200, snapshot.text
            assert snapshot.headers["x-snapshot-entries"] == "1"
            public = await client.get("/lists/black")
            assert public.status_code == 200
            assert "长沙仁和医院" in public.text
            assert "湘潭同心诊所" not in public.text
        # Every call was logged on the primary; the frozen copy took none of them.
        assert await _partner_calls(db) == 5
        copy = Database(frozen)
        assert await _partner_calls(copy) == 0
        await copy.dispose()
    finally:
        await _drop_copy(frozen)


async def test_the_read_engine_refuses_to_write(settings: Settings) -> None:
    """Read sessions are read-only transactions even when the read URL names the primary."""
    both = Database(settings.database_url, read_url=settings.database_url)
    try:
        async with both.reading() as session:
            with pytest.raises(Exception, match=r"(?i)read-?only"):
                await session.execute(text("DELETE FROM partner_call"))
    finally:
        await both.dispose()


# ------------------------------------------------------------------ a real streaming replica


@dataclass
class StreamingReplica:
    """A hot standby of the primary on 127.0.0.1:`port`, in a directory of its own."""

    primary_admin: str  # postgresql:// URL of the primary's postgres database
    port: int
    root: Path
    bin_dir: Path
    run_as: list[str]
    added_hba_line: str | None = None
    hba_file: Path | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [*self.run_as, str(self.bin_dir / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=600)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cannot(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"the streaming replica is required here: {reason}")
    pytest.skip(f"no streaming replica on this machine: {reason}")


async def _admin_fetch(url: str, query: str) -> list[tuple[Any, ...]]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(text(query))
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await database.dispose()


def _allow_replication(replica: StreamingReplica) -> None:
    """Add a trust entry for replication from 127.0.0.1 unless one is there; reload."""
    admin = asyncpg_url(replica.primary_admin)
    allowed = asyncio.run(
        _admin_fetch(
            admin,
            "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
            "AND (type = 'local' OR address IN ('127.0.0.1', 'all', '0.0.0.0'))",
        )
    )[0][0]
    if allowed:
        return
    hba = Path(asyncio.run(_admin_fetch(admin, "SHOW hba_file"))[0][0])
    if not os.access(hba, os.W_OK):
        _cannot(f"{hba} allows no replication connection and is not writable by this user")
    line = f"host replication all 127.0.0.1/32 trust  # medcredit test replica {os.getpid()}\n"
    with hba.open("a") as handle:
        handle.write(line)
    replica.added_hba_line, replica.hba_file = line, hba
    asyncio.run(_admin_fetch(admin, "SELECT pg_reload_conf()"))


def _forget_replication(replica: StreamingReplica) -> None:
    if replica.hba_file is None or replica.added_hba_line is None:
        return
    kept = [
        line
        for line in replica.hba_file.read_text().splitlines(keepends=True)
        if line != replica.added_hba_line
    ]
    replica.hba_file.write_text("".join(kept))
    asyncio.run(_admin_fetch(asyncpg_url(replica.primary_admin), "SELECT pg_reload_conf()"))


def _start(replica: StreamingReplica) -> None:
    """pg_basebackup -R of the primary into the replica's directory, configured, started."""
    admin = asyncpg_url(replica.primary_admin)
    # A hot standby needs at least the primary's value of each of these.
    settings = asyncio.run(
        _admin_fetch(
            admin,
            "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', "
            "'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', "
            "'max_locks_per_transaction')",
        )
    )
    host = replica.primary_admin.split("@", 1)[-1].split("/", 1)[0]
    primary_host, _, primary_port = host.partition(":")
    if replica.run_as:
        shutil.chown(replica.root, "postgres", "postgres")
    backup = replica.pg(
        "pg_basebackup",
        f"--host={primary_host or '127.0.0.1'}",
        f"--port={primary_port or '5432'}",
        "--username=postgres",
        f"--pgdata={replica.data}",
        "--write-recovery-conf",
        "--wal-method=stream",
        "--checkpoint=fast",
        "--no-sync",
        check=False,
    )
    if backup.returncode != 0:
        _cannot(f"pg_basebackup failed: {backup.stderr.strip()}")
    config = [
        f"port = {replica.port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{replica.root}'",
        "hot_standby = on",
        "fsync = off",
        *(f"{name} = {value}" for name, value in settings),
    ]
    (replica.data / "postgresql.conf").write_text("\n".join(config) + "\n")
    (replica.data / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\n"
    )
    (replica.data / "pg_ident.conf").write_text("")
    if replica.run_as:
        subprocess.run(["chown", "-R", "postgres:postgres", str(replica.root)], check=True)
    started = replica.pg(
        "pg_ctl",
        "-D",
        str(replica.data),
        "-l",
        str(replica.root / "replica.log"),
        "-w",
        "-t",
        "120",
        "start",
        check=False,
    )
    if started.returncode != 0:
        log = (replica.root / "replica.log").read_text(errors="replace")[-2000:]
        _cannot(f"the replica did not start: {started.stderr.strip()} {log}")


def _bin_dir(admin_url: str) -> Path | None:
    version = int(asyncio.run(_admin_fetch(admin_url, "SHOW server_version_num"))[0][0])
    debian = Path(f"/usr/lib/postgresql/{version // 10000}/bin")
    if (debian / "pg_ctl").exists():
        return debian
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


@dataclass
class ReplicaSetUp:
    primary: str  # asyncpg URL of the test's database on the primary
    replica: str  # the same database on the replica
    key: str  # a partner API key


@pytest.fixture(scope="module")
def streaming_replica() -> Iterator[ReplicaSetUp]:
    if not POSTGRES_URL:
        pytest.skip("the replica test needs a PostgreSQL primary: MEDCREDIT_TEST_POSTGRES_URL")
    base = asyncpg_url(POSTGRES_URL)
    admin = base.rsplit("/", 1)[0] + "/postgres"
    bin_dir = _bin_dir(admin)
    if bin_dir is None:
        _cannot("pg_ctl and pg_basebackup are not installed")
    assert bin_dir is not None
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            _cannot("running as root without runuser to start PostgreSQL as postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    name = f"medcredit_replica_{os.getpid()}"
    primary = base.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_admin_fetch(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin_fetch(admin, f'CREATE DATABASE "{name}"'))
    # /tmp, not pytest's tmp_path: the postgres user must reach the directory.
    root = Path(tempfile.mkdtemp(prefix="medcredit-replica-"))
    replica = StreamingReplica(admin.replace("+asyncpg", ""), _free_port(), root, bin_dir, run_as)
    try:
        key = asyncio.run(_prepare_primary(primary))
        _allow_replication(replica)
        _start(replica)
        replica_url = replica.url(name)
        asyncio.run(_wait_for_standby(replica_url))
        yield ReplicaSetUp(primary=primary, replica=replica_url, key=key)
    finally:
        replica.stop()
        _forget_replication(replica)
        asyncio.run(_admin_fetch(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _prepare_primary(url: str) -> str:
    """The schema, the policy packs, one listed institution, a partner key, the signing key."""
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        await seed(database)
        await put_on(database, ListName.BLACK, await institution(database, 1, "长沙仁和医院"))
        async with database.transaction() as session:
            await keys.active_key(session, SECRET)
        return await _partner_key(database)
    finally:
        await database.dispose()


async def _wait_for_standby(url: str) -> None:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        try:
            (in_recovery,) = (await _admin_fetch(url, "SELECT pg_is_in_recovery()"))[0]
            assert in_recovery, "the replica is not a standby"
            return
        except OSError:
            if time.monotonic() > deadline:
                raise


async def _caught_up(primary: str, replica: str) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    (lsn,) = (await _admin_fetch(primary, "SELECT pg_current_wal_lsn()::text"))[0]
    deadline = time.monotonic() + CATCH_UP_SECONDS
    query = f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"
    while not (await _admin_fetch(replica, query))[0][0]:
        assert time.monotonic() < deadline, f"the replica did not replay up to {lsn}"
        await asyncio.sleep(0.05)


async def _partner_key(database: Database) -> str:
    async with database.transaction() as session:
        _, plain = await api_keys.create(
            session,
            SYSTEM_ACTOR,
            agency="合作机构",
            scopes=["feed:black", "verify", "match"],
            rate_limit_per_minute=100_000,
        )
    return plain


async def _partner_calls(database: Database) -> int:
    async with database.reading() as session:
        return int((await session.execute(select(func.count()).select_from(PartnerCall))).scalar())


@dataclass
class Partner:
    client: AsyncTestClient[Litestar]
    headers: dict[str, str]

    async def changes(self, since: str) -> dict[str, Any]:
        answer = await self.client.get(
            BLACK, params={"since": since, "limit": 1000}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        page: dict[str, Any] = answer.json()
        return page

    async def verify(self, number: int) -> dict[str, Any]:
        answer = await self.client.get(
            "/api/v1/verify", params={"id": uscc_for(number)}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


@pytest.fixture
async def on_replica(
    streaming_replica: ReplicaSetUp, tmp_path: Path
) -> AsyncIterator[tuple[Partner, Database, ReplicaSetUp]]:
    settings = Settings(
        database_url=streaming_replica.primary,
        read_database_url=streaming_replica.replica,
        secret_key=SECRET,
        var_dir=tmp_path / "var",
    )
    primary = Database(streaming_replica.primary)
    async with AsyncTestClient(app=create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {streaming_replica.key}"}
        yield Partner(client, headers), primary, streaming_replica
    await primary.dispose()


async def _until_paused(replica: str) -> None:
    query = "SELECT pg_get_wal_replay_pause_state()"
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while (await _admin_fetch(replica, query))[0][0] != "paused":
        assert time.monotonic() < deadline, "replay did not pause"
        await asyncio.sleep(0.05)


async def _black_seqs(database: Database) -> list[int]:
    query = text("SELECT seq FROM change_log WHERE stream = 'black' ORDER BY seq")
    async with database.reading() as session:
        return [int(seq) for seq in (await session.execute(query)).scalars()]


async def _replica_admin(url: str, statement: str) -> None:
    await _admin_fetch(url.rsplit("/", 1)[0] + "/postgres", statement)


async def test_a_partner_follows_the_feed_on_the_replica_while_the_primary_takes_writes(
    on_replica: tuple[Partner, Database, ReplicaSetUp],
) -> None:
    partner, primary, urls = on_replica
    await _caught_up(urls.primary, urls.replica)
    calls_before = await _partner_calls(primary)
    already = len(await _black_seqs(primary))
    seen: list[int] = []
    cursor = "0"
    calls = 0
    writing = True

    async def write() -> None:
        nonlocal writing
        try:
            for number in range(100, 108):
                subject_id = await institution(primary, number, f"医院{number}")
                await put_on(primary, ListName.BLACK, subject_id)
        finally:
            writing = False

    async def follow() -> None:
        nonlocal cursor, calls
        while writing:
            page = await partner.changes(cursor)
            calls += 1
            seen.extend(change["seq"] for change in page["changes"])
            cursor = page["next_cursor"]
            await asyncio.sleep(0.01)

    await asyncio.gather(write(), follow())
    await _caught_up(urls.primary, urls.replica)
    page = await partner.changes(cursor)
    calls += 1
    seen.extend(change["seq"] for change in page["changes"])

    on_primary = await _black_seqs(primary)
    # Every change once, in order, whatever the replica had replayed at each call.
    assert seen == on_primary
    assert len(seen) == already + 8  # the eight entries put on the list meanwhile
    # Each call was logged on the primary (the replica could not have taken the row).
    assert await _partner_calls(primary) == calls_before + calls


async def test_while_the_replica_lags_a_partner_sees_its_last_replayed_state(
    on_replica: tuple[Partner, Database, ReplicaSetUp],
) -> None:
    partner, primary, urls = on_replica
    await _caught_up(urls.primary, urls.replica)
    cursor = (await partner.changes("0"))["next_cursor"]
    assert (await partner.verify(1))["listed"] is True
    number = 200
    assert (await partner.verify(number))["found"] is False

    await _replica_admin(urls.replica, "SELECT pg_wal_replay_pause()")
    try:
        await _until_paused(urls.replica)
        subject_id = await institution(primary, number, "湘潭康复诊所")
        entry_id = await put_on(primary, ListName.BLACK, subject_id)
        calls_before = await _partner_calls(primary)

        # The primary has the change; the replica's partner gets the state it last replayed:
        # an empty page whose cursor does not move past what the replica holds.
        lagging = await partner.changes(cursor)
        assert lagging == {"changes": [], "next_cursor": cursor, "has_more": False}
        assert (await partner.verify(number))["found"] is False
        # The partner's calls are still answered and logged: writes go to the primary.
        assert await _partner_calls(primary) == calls_before + 2
    finally:
        await _replica_admin(urls.replica, "SELECT pg_wal_replay_resume()")

    await _caught_up(urls.primary, urls.replica)
    caught_up = await partner.changes(cursor)
    assert [(c["op"], c["entry"]["entry_id"]) for c in caught_up["changes"]] == [("ADD", entry_id)]
    assert int(caught_up["next_cursor"]) > int(cursor)
    assert (await partner.verify(number))["listed"] is True
