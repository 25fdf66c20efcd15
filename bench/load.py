"""Mixed traffic for minutes against `medcredit serve --workers 2` on PostgreSQL.

The partner-feed data set of bench/feed.py (N subjects, N list entries in force, M change-log
rows, loaded by COPY) plus an officer account and subject accounts; then, at once, for
`--duration` seconds, from this process (a minimal keep-alive HTTP/1.1 client):

- partners (`--partners`): follow the black-list feed from a random cursor (GET
  /api/v1/feeds/black/changes, 200 a page, next_cursor after next_cursor; a random cursor again
  when caught up), and between pages verify 5 random listed institutions (GET /api/v1/verify);
- subjects (`--subjects`): read their own credit report (GET /api/v1/subjects/{id}/report);
- officers (`--officers`): import CSV files of new credit records (POST /api/v1/records/import,
  `--import-rows` rows each, every row new).

Every request has a 30 s client timeout; a client reconnects after 50 requests. The first
tenth of the run (at most 15 s) warms up and is not counted. The resident memory (RSS) of each
web worker is sampled every 5 s: its value after the warm-up and at the end show whether memory
stays flat.

    python bench/load.py                    # 3 minutes, 20,000 entries, 200,000 changes
    python bench/load.py --quick            # 30 s, 2,000 entries, 20,000 changes
    python bench/load.py --duration 600 --partners 12

Targets: zero 5xx answers, zero timeouts, worker memory flat. The last line is one JSON object
with `errors_5xx`, `timeouts`, per-endpoint `rps`, `p50_ms`, `p99_ms` and each worker's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feed import SECRET, build  # noqa: E402  (the feed benchmark's data set)
from bench.feed import _admin as admin_execute  # noqa: E402
from bench.harness import (  # noqa: E402
    Connection,
    http_request,
    percentile,
    rss_mb,
    serve,
    stop,
    worker_pids,
)
from bench.import_records import COLUMNS, ITEMS  # noqa: E402

DB_NAME = "medcredit_bench_load"
PASSWORD = "load-bench-password"
TIMEOUT_SECONDS = 30.0
# Clients come and go: a connection serves this many requests, then the client reconnects.
# (uvicorn's workers share one listening socket and the first to wake accepts every pending
# connection, so connections held for the whole run would all stay on one worker.)
REQUESTS_PER_CONNECTION = 50
ENDPOINTS = ("feed_changes", "verify", "report", "import")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors_5xx: int = 0
    timeouts: int = 0
    refused: int = 0  # 4xx: a request this benchmark got wrong, or a rate limit
    broken: int = 0  # the connection failed (reset, closed)

    def figures(self, seconds: float) -> dict[str, Any]:
        self.latencies.sort()
        return {
            "requests": len(self.latencies),
            "rps": round(len(self.latencies) / seconds, 1),
            "p50_ms": percentile(self.latencies, 0.50),
            "p99_ms": percentile(self.latencies, 0.99),
            "errors_5xx": self.errors_5xx,
            "timeouts": self.timeouts,
            "other_4xx": self.refused,
            "connection_errors": self.broken,
        }


@dataclass
class Run:
    port: int
    counting_from: float
    until: float
    tallies: dict[str, Tally] = field(default_factory=lambda: {n: Tally() for n in ENDPOINTS})
    rows_created: int = 0

    async def call(
        self, connection: Connection, endpoint: str, request: bytes
    ) -> tuple[Connection, int, bytes]:
        """One request, tallied; a new connection after a timeout or a broken one."""
        tally = self.tallies[endpoint]
        if connection.requests >= REQUESTS_PER_CONNECTION:
            connection.close()
            connection = await Connection.open(self.port)
        started = time.perf_counter()
        counted = started >= self.counting_from
        try:
            status, body = await asyncio.wait_for(connection.exchange(request), TIMEOUT_SECONDS)
        except TimeoutError:
            tally.timeouts += counted
            connection.close()
            return await Connection.open(self.port), 0, b""
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            tally.broken += counted
            connection.close()
            return await Connection.open(self.port), 0, b""
        if counted:
            tally.latencies.append(time.perf_counter() - started)
            tally.errors_5xx += status >= 500
            tally.refused += 400 <= status < 500
        return connection, status, body


async def partner(run: Run, plan: dict[str, Any], rng: random.Random) -> None:
    from urllib.parse import quote

    connection = await Connection.open(run.port)
    top = plan["black_max_seq"]
    cursor = rng.randint(0, top)
    while time.perf_counter() < run.until:
        path = f"/api/v1/feeds/black/changes?since={cursor}&limit=200"
        connection, status, body = await run.call(
            connection, "feed_changes", http_request("GET", path, plan["key"])
        )
        page = json.loads(body) if status == 200 else {}
        cursor = int(page["next_cursor"]) if page.get("has_more") else rng.randint(0, top)
        for _ in range(5):
            uscc = quote(rng.choice(plan["usccs"]))
            connection, _, _ = await run.call(
                connection, "verify", http_request("GET", f"/api/v1/verify?id={uscc}", plan["key"])
            )
    connection.close()


async def subject(run: Run, subject_id: int, token: str) -> None:
    connection = await Connection.open(run.port)
    request = http_request("GET", f"/api/v1/subjects/{subject_id}/report", token)
    while time.perf_counter() < run.until:
        connection, _, _ = await run.call(connection, "report", request)
    connection.close()


def _import_file(officer: int, batch: int, rows: int, subject_ids: list[int]) -> bytes:
    rng = random.Random(officer * 1_000_003 + batch)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in range(rows):
        decided = date(2025, 1, 1) + timedelta(days=rng.randrange(300))
        amount = rng.randrange(100, 1_000_000) / 100
        writer.writerow([
            rng.choice(subject_ids), ITEMS[row % len(ITEMS)], decided.isoformat(), "load",
            f"L{officer}-{batch}-{row}", (decided - timedelta(days=10)).isoformat(),
            f"湘医保罚〔2025〕{batch}-{row}号", f"{amount:.2f}", f"{amount * 2:.2f}",
            f"RULE-{row % 97}" if ITEMS[row % len(ITEMS)].startswith("MON-") else "", "",
        ])  # fmt: skip
    return out.getvalue().encode()


async def officer(run: Run, number: int, token: str, rows: int, subject_ids: list[int]) -> None:
    connection = await Connection.open(run.port)
    batch = 0
    while time.perf_counter() < run.until:
        batch += 1
        body = _import_file(number, batch, rows, subject_ids)
        request = http_request(
            "POST", "/api/v1/records/import?mode=partial", token, body, "text/csv"
        )
        counted = time.perf_counter() >= run.counting_from
        connection, status, answer = await run.call(connection, "import", request)
        if status == 200 and counted:
            run.rows_created += int(json.loads(answer).get("created", 0))
    connection.close()


# ---------------------------------------------------------------------------------- set-up


async def add_accounts(url: str, subject_ids: list[int]) -> None:
    """An officer and one account per reading subject (production-strength password hashes)."""
    from api.db import Database
    from credit.accounts import service as accounts
    from credit.accounts.models import AccountCreate
    from credit.kernel.actor import SYSTEM_ACTOR, Role

    database = Database(url)
    try:
        async with database.transaction() as session:
            await accounts.create_account(
                session,
                SYSTEM_ACTOR,
                AccountCreate(username="load-officer", password=PASSWORD, role=Role.OFFICER),
            )
            for subject_id in subject_ids:
                await accounts.create_account(
                    session,
                    SYSTEM_ACTOR,
                    AccountCreate(
                        username=f"load-subject-{subject_id}",
                        password=PASSWORD,
                        role=Role.SUBJECT,
                        subject_id=subject_id,
                    ),
                )
    finally:
        await database.dispose()


async def log_in(port: int, username: str) -> str:
    connection = await Connection.open(port)
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    status, answer = await connection.exchange(
        http_request("POST", "/api/v1/auth/login", None, body)
    )
    connection.close()
    if status != 200:
        raise SystemExit(f"could not log in as {username}: {status} {answer[:200]!r}")
    token: str = json.loads(answer)["access_token"]
    return token


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cores(pid: int, before: dict[int, float], seconds: float) -> float | None:
    """CPU cores the worker used over the run (None: it has ended)."""
    try:
        return round((_cpu_seconds(pid) - before.get(pid, 0.0)) / seconds, 2)
    except FileNotFoundError:
        return None


def _busy_share() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


async def sample_memory(
    server: Any, run: Run, every: float
) -> dict[int, list[tuple[float, float]]]:
    """RSS of each worker every `every` seconds; a worker uvicorn replaced shows as a new pid."""
    samples: dict[int, list[tuple[float, float]]] = {}
    while True:
        now = time.perf_counter()
        if now >= run.counting_from:
            for pid in worker_pids(server):
                try:
                    samples.setdefault(pid, []).append((now, rss_mb(pid)))
                except FileNotFoundError:  # it ended between the listing and the reading
                    continue
        if now >= run.until:
            return samples
        await asyncio.sleep(min(every, max(0.0, run.until - now) + 0.01))


async def drive(args: argparse.Namespace, plan: dict[str, Any], server: Any) -> dict[str, Any]:
    port = args.port
    officer_token = await log_in(port, "load-officer")
    subject_tokens = [
        (subject_id, await log_in(port, f"load-subject-{subject_id}"))
        for subject_id in plan["reading_subjects"]
    ]
    pids = worker_pids(server)
    warm_up = min(15.0, args.duration * 0.1)
    begin = time.perf_counter()
    run = Run(port, counting_from=begin + warm_up, until=begin + warm_up + args.duration)
    rng = random.Random(5)
    load_before, busy_before = os.getloadavg(), _busy_share()
    cpu_before = {pid: _cpu_seconds(pid) for pid in pids}
    users = [
        *(partner(run, plan, random.Random(rng.random())) for _ in range(args.partners)),
        *(subject(run, sid, token) for sid, token in subject_tokens),
        *(
            officer(run, n, officer_token, args.import_rows, plan["institution_ids"])
            for n in range(args.officers)
        ),
    ]
    memory = asyncio.create_task(sample_memory(server, run, 5.0))
    await asyncio.gather(*users)
    samples = await memory
    seconds = time.perf_counter() - run.counting_from
    busy_after = _busy_share()
    machine_busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    total = time.perf_counter() - begin
    return {
        "seconds": round(seconds, 1),
        "endpoints": {name: run.tallies[name].figures(seconds) for name in ENDPOINTS},
        "records_imported": run.rows_created,
        # Workers seen after the warm-up beyond the two serving: uvicorn replaced one.
        "worker_restarts": max(0, len(samples) - 2),
        "workers": [
            {
                "pid": pid,
                "rss_start_mb": series[0][1] if series else None,
                "rss_end_mb": series[-1][1] if series else None,
                "rss_max_mb": max(value for _, value in series) if series else None,
                "cpu_cores": _cores(pid, cpu_before, total),
            }
            for pid, series in samples.items()
        ],
        "loadavg_start": [round(v, 2) for v in load_before],
        "loadavg_end": [round(v, 2) for v in os.getloadavg()],
        "machine_busy_pct": round(machine_busy * 100, 1),
        "cpus": os.cpu_count(),
        "client_cpu_cores": round(
            (
                resource.getrusage(resource.RUSAGE_SELF).ru_utime
                + resource.getrusage(resource.RUSAGE_SELF).ru_stime
            )
            / total,
            2,
        ),
    }


async def _drop(base_url: str) -> None:
    await admin_execute(base_url.replace("postgresql+asyncpg://", "postgresql://"),
                 f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=None, help="seconds counted (180)")
    parser.add_argument("--quick", action="store_true", help="30 s on a tenth of the data")
    parser.add_argument("--entries", type=int, default=None, help="list entries (20,000)")
    parser.add_argument("--changes", type=int, default=None, help="change-log rows (200,000)")
    parser.add_argument("--partners", type=int, default=6)
    parser.add_argument("--subjects", type=int, default=3)
    parser.add_argument("--officers", type=int, default=1)
    parser.add_argument("--import-rows", type=int, default=200)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("MEDCREDIT_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1:5432/test",
    )
    args = parser.parse_args()
    args.duration = args.duration or (30.0 if args.quick else 180.0)
    entries = args.entries or (2_000 if args.quick else 20_000)
    changes = args.changes or (20_000 if args.quick else 200_000)

    print(f"loading {entries:,} entries and {changes:,} changes into PostgreSQL …", flush=True)
    plan = asyncio.run(build(args.postgres_url, entries, changes, db_name=DB_NAME))
    # build() makes every fifth subject a physician; the others are institutions.
    plan["institution_ids"] = [n + 1 for n in range(entries) if n % 5 != 4]
    plan["reading_subjects"] = plan["institution_ids"][: args.subjects]
    asyncio.run(add_accounts(plan["url"], plan["reading_subjects"]))
    print(f"loaded in {plan['load_seconds']} s; serving with 2 workers for "
          f"{args.duration:.0f} s (+ warm-up)", flush=True)  # fmt: skip
    env = {
        "MEDCREDIT_DATABASE_URL": plan["url"],
        "MEDCREDIT_SECRET_KEY": SECRET,
        "MEDCREDIT_VAR_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "medcredit-load"),
    }
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "medcredit-load-server.log"
    server = serve(env, args.port, workers=2, log=log)
    try:
        figures = asyncio.run(drive(args, plan, server))
    finally:
        stop(server)
        if not args.keep:
            asyncio.run(_drop(args.postgres_url))

    endpoints = figures["endpoints"]
    print(f"\n{'endpoint':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}"
          f"{'5xx':>6}{'timeout':>9}{'4xx':>6}{'conn':>6}")  # fmt: skip
    for name, row in endpoints.items():
        print(f"{name:<14}{row['rps']:>9}{row['p50_ms']:>9}{row['p99_ms']:>9}{row['requests']:>10}"
              f"{row['errors_5xx']:>6}{row['timeouts']:>9}{row['other_4xx']:>6}"
              f"{row['connection_errors']:>6}")  # fmt: skip
    for worker in figures["workers"]:
        print(f"worker {worker['pid']}: RSS {worker['rss_start_mb']} MB after warm-up → "
              f"{worker['rss_end_mb']} MB at the end (max {worker['rss_max_mb']}), "
              f"{worker['cpu_cores']} cores")  # fmt: skip
    requests = sum(row["requests"] for row in endpoints.values())
    summary = {
        "duration_s": figures["seconds"],
        "entries": entries,
        "change_rows": changes,
        "users": {
            "partners": args.partners,
            "subjects": args.subjects,
            "officers": args.officers,
        },
        "requests": requests,
        "rps": round(requests / figures["seconds"], 1),
        "errors_5xx": sum(row["errors_5xx"] for row in endpoints.values()),
        "timeouts": sum(row["timeouts"] for row in endpoints.values()),
        "connection_errors": sum(row["connection_errors"] for row in endpoints.values()),
        "rss_growth_mb_max": max(
            (
                w["rss_end_mb"] - w["rss_start_mb"]
                for w in figures["workers"]
                if w["rss_start_mb"] is not None
            ),
            default=0.0,
        ),
        **figures,
    }
    print(f"\n{requests:,} requests in {figures['seconds']} s ({summary['rps']}/s), "
          f"{figures['records_imported']:,} records imported; 5xx: {summary['errors_5xx']}, "
          f"timeouts: {summary['timeouts']} (targets 0); worker RSS growth ≤ "
          f"{summary['rss_growth_mb_max']:.1f} MB, {figures['worker_restarts']} worker restarts; "
        f"load average "
          f"{figures['loadavg_start'][0]} → {figures['loadavg_end'][0]} on {figures['cpus']} "
          f"CPUs, machine {figures['machine_busy_pct']} % busy")  # fmt: skip
    if summary["errors_5xx"]:
        print(f"the server's log, with the errors: {log}")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
