"""Record import throughput and memory against a bare bulk insert, on SQLite and PostgreSQL.

For each database and for N and 4N rows, a fresh worker process builds an empty database with
the default policy packs and a generated set of subjects, writes N record rows to a CSV file,
imports the file through the real path (`credit.ingestion.service.run_import`: parse, ingest,
batch report) and then inserts the same rows into a plain table with no constraints or indexes
(SQLite `executemany`, PostgreSQL `COPY` through asyncpg's `copy_records_to_table`), timing only
the database calls of the bare insert. Peak RSS is the worker's own maximum after the import.

    python bench/import_records.py              # N = 1,000,000 (and 4,000,000)
    python bench/import_records.py --quick      # N = 10,000: both databases in under a minute
    python bench/import_records.py --rows 200000 --postgres-url postgresql://…/db

Targets: import at least 1/3 of the bare bulk-insert speed; peak memory flat from N to 4N.
The last line is one JSON object with the figures (`ratio_to_bulk_insert`, `peak_rss_mb`, …).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import json
import os
import pstats
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INSTITUTIONS = 1000
PHYSICIANS = 500
BULK_CHUNK = 10_000
ITEMS = ("ENF-38-SPLIT-ADMISSION", "ENF-38-DUPLICATE-CHARGE", "ENF-39-RECORD-KEEPING",
         "AGR-INTERVIEW", "AGR-RECOVER", "AGR-SUSPEND-PAYMENT", "MON-DUPLICATE-CHARGE")  # fmt: skip
COLUMNS = ("subject_id", "item_code", "decided_on", "source_system", "source_ref", "occurred_on",
           "document_no", "amount_involved", "fine_amount", "rule_code", "responsible")  # fmt: skip


def _ric(first_17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return (
        first_17
        + "10X98765432"[sum(int(d) * w for d, w in zip(first_17, weights, strict=True)) % 11]
    )


def record_rows(rows: int, institutions: list[int], physicians: list[int]) -> Iterator[tuple]:
    """The same N rows every time (seeded), as typed tuples in COLUMNS order."""
    rng = random.Random(20260301)
    start = date(2022, 1, 1)
    for n in range(rows):
        decided = start + timedelta(days=rng.randrange(1400))
        item = ITEMS[n % len(ITEMS)]
        amount = rng.randrange(100, 10_000_000)  # fen
        responsible = ""
        if n % 5 == 0:
            persons = rng.sample(physicians, 2)
            responsible = f"{persons[0]}:principal;{persons[1]}:general"
        yield (
            rng.choice(institutions), item, decided.isoformat(), "bench", f"R{n:09d}",
            (decided - timedelta(days=rng.randrange(1, 90))).isoformat(),
            f"湘医保罚〔{decided.year}〕{n}号", amount, amount * 2,
            f"RULE-{n % 97}" if item.startswith("MON-") else "", responsible,
        )  # fmt: skip


def write_csv(path: Path, rows: Iterator[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([f"{v / 100:.2f}" if i in (7, 8) else v for i, v in enumerate(row)])


async def seed(url: str) -> tuple[list[int], list[int]]:
    from stdnum.cn import uscc

    from api.db import Database, metadata
    from credit.kernel.actor import SYSTEM_ACTOR
    from credit.policy import service as policy
    from credit.subjects.bulk import bulk_register
    from credit.subjects.models import SubjectCreate
    from credit.subjects.pii import PersonalIdentifiers

    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    pii = PersonalIdentifiers("bench-secret-key-that-is-long-enough")
    bodies = [f"91430100MA{n:07d}" for n in range(INSTITUTIONS)]
    hospitals = [
        SubjectCreate(
            kind="medical_institution",
            name=f"医院{n}",
            uscc=body + uscc.calc_check_digit(body),
            nhsa_code=f"H{n:011d}",
        )
        for n, body in enumerate(bodies)
    ]
    doctors = [
        SubjectCreate(
            kind="physician",
            name=f"医生{n}",
            resident_id=_ric(f"11010519800101{n:03d}"),
            nhsa_code=f"D110105{n:06d}",
        )
        for n in range(PHYSICIANS)
    ]
    async with database.transaction() as session:
        await policy.ensure_defaults(session)
        institution_ids = await bulk_register(session, SYSTEM_ACTOR, hospitals, pii=pii)
        physician_ids = await bulk_register(session, SYSTEM_ACTOR, doctors, pii=pii)
    await database.dispose()
    return institution_ids, physician_ids


async def timed_import(url: str, path: Path, profile: bool) -> tuple[float, Any]:
    from api.db import Database
    from credit.ingestion import service
    from credit.ingestion.formats import FileFormat
    from credit.ingestion.models import ImportKind, ImportMode
    from credit.ingestion.targets import TARGETS
    from credit.kernel.actor import Actor, Role

    database = Database(url)
    actor = Actor(role=Role.OFFICER, name="bench")
    received = service.ReceivedFile(path=path, file_format=FileFormat.CSV, file_name=path.name)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    async with database.transaction() as session:
        outcome = await service.run_import(
            session, actor, TARGETS[ImportKind.RECORDS], received, mode=ImportMode.PARTIAL
        )
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    await database.dispose()
    return seconds, outcome.report


PLAIN_TABLE = """CREATE TABLE bench_plain (subject_id BIGINT, item_code TEXT, decided_on {date},
    source_system TEXT, source_ref TEXT, occurred_on {date}, document_no TEXT,
    amount_involved BIGINT, fine_amount BIGINT, rule_code TEXT, responsible TEXT)"""


def _chunks(rows: Iterator[tuple], typed: bool) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        if typed:  # asyncpg's binary COPY wants real dates
            row = (
                *row[:2],
                date.fromisoformat(row[2]),
                *row[3:5],
                date.fromisoformat(row[5]),
                *row[6:],
            )
        chunk.append(row)
        if len(chunk) == BULK_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bulk_sqlite(path: Path, rows: Iterator[tuple]) -> float:
    connection = sqlite3.connect(path)
    connection.execute(PLAIN_TABLE.format(date="TEXT"))
    spent = 0.0
    for chunk in _chunks(rows, typed=False):
        started = time.perf_counter()
        connection.executemany(f"INSERT INTO bench_plain VALUES ({','.join('?' * 11)})", chunk)
        spent += time.perf_counter() - started
    started = time.perf_counter()
    connection.commit()
    spent += time.perf_counter() - started
    connection.close()
    return spent


async def bulk_postgres(dsn: str, rows: Iterator[tuple]) -> float:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    await connection.execute(PLAIN_TABLE.format(date="DATE"))
    spent = 0.0
    async with connection.transaction():
        for chunk in _chunks(rows, typed=True):
            started = time.perf_counter()
            await connection.copy_records_to_table("bench_plain", records=chunk, columns=COLUMNS)
            spent += time.perf_counter() - started
    await connection.close()
    return spent


async def _admin(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def worker(backend: str, rows: int, postgres_url: str, profile: bool) -> dict[str, Any]:
    """One measured run in this (fresh) process; its figures as a dict."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        folder = Path(scratch)
        if backend == "sqlite":
            url, dsn = f"sqlite+aiosqlite:///{folder / 'bench.db'}", ""
        else:
            name = f"medcredit_bench_{os.getpid()}"
            dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
            dsn = f"{dsn}/{name}"
            url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
            asyncio.run(_admin(dsn, f'DROP DATABASE IF EXISTS "{name}"'))
            asyncio.run(_admin(dsn, f'CREATE DATABASE "{name}"'))
        try:
            institutions, physicians = asyncio.run(seed(url))
            csv_path = folder / "records.csv"
            write_csv(csv_path, record_rows(rows, institutions, physicians))
            import_seconds, report = asyncio.run(timed_import(url, csv_path, profile))
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
            assert report.created == rows, (report.created, report.errors[:3])
            fresh = record_rows(rows, institutions, physicians)
            if backend == "sqlite":
                bulk_seconds = bulk_sqlite(folder / "bench.db", fresh)
            else:
                bulk_seconds = asyncio.run(bulk_postgres(dsn, fresh))
            file_mb = csv_path.stat().st_size / 2**20
        finally:
            if backend == "postgres":
                asyncio.run(_admin(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return {
        "backend": backend,
        "rows": rows,
        "file_mb": round(file_mb, 1),
        "import_seconds": round(import_seconds, 2),
        "import_rows_per_s": round(rows / import_seconds),
        "bulk_rows_per_s": round(rows / bulk_seconds),
        "peak_rss_mb": round(peak_kib / 1024, 1),
    }


def _run_worker(backend: str, rows: int, postgres_url: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", backend, "--rows", str(rows),
               "--postgres-url", postgres_url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{backend} worker with {rows} rows failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=None, help="N (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="N = 10,000")
    parser.add_argument("--postgres-url", default=os.environ.get("MEDCREDIT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="one cProfiled SQLite run of N")
    args = parser.parse_args()
    rows = args.rows or (10_000 if args.quick else 1_000_000)
    if args.worker or args.profile:
        print(json.dumps(worker(args.worker or "sqlite", rows, args.postgres_url, args.profile)))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 100))  # the table needs 100 columns
    backends = ["sqlite", "postgres"] if args.postgres_url else ["sqlite"]
    if not args.postgres_url:
        console.print("PostgreSQL skipped: give --postgres-url or set MEDCREDIT_TEST_POSTGRES_URL")
    table = Table(title=f"record import vs bare bulk insert (N = {rows:,})")
    for title in ("database", "rows", "CSV MB", "import s", "import rows/s", "bulk rows/s",
                  "ratio", "peak RSS MB"):  # fmt: skip
        table.add_column(title, justify="right")
    figures: dict[str, Any] = {"rows": rows}
    for backend in backends:
        runs = []
        for size in (rows, 4 * rows):
            console.print(f"{backend}: importing {size:,} rows …")
            run = _run_worker(backend, size, args.postgres_url)
            console.print(f"  {json.dumps(run)}")
            runs.append(run)
            ratio = run["import_rows_per_s"] / run["bulk_rows_per_s"]
            table.add_row(backend, f"{size:,}", f"{run['file_mb']}", f"{run['import_seconds']}",
                          f"{run['import_rows_per_s']:,}", f"{run['bulk_rows_per_s']:,}",
                          f"{ratio:.2f}", f"{run['peak_rss_mb']}")  # fmt: skip
        small, large = runs
        figures[backend] = {
            "import_rows_per_s": small["import_rows_per_s"],
            "bulk_rows_per_s": small["bulk_rows_per_s"],
            "ratio_to_bulk_insert": round(small["import_rows_per_s"] / small["bulk_rows_per_s"], 3),
            "ratio_to_bulk_insert_4n": round(
                large["import_rows_per_s"] / large["bulk_rows_per_s"], 3
            ),
            "peak_rss_mb": {"n": small["peak_rss_mb"], "4n": large["peak_rss_mb"]},
            "memory_growth_4n": round(large["peak_rss_mb"] / small["peak_rss_mb"], 2),
        }
    if "postgres" not in figures:
        figures["postgres"] = {"skipped": "no PostgreSQL URL"}
    console.print(table)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
