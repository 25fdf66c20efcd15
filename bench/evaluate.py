"""A provincial evaluation against the floor: one bare INSERT … SELECT … GROUP BY subject_id.

For each database a fresh worker process builds an empty database with the default policy packs
and indicator sets, generates subjects (medical institutions) and records inside the database,
runs a full Hunan 2024 annual evaluation through the real path (`indicators.runs.start`: set-based
aggregation in chunks, scoring, results with contributions and reasons) and then times the floor:
one statement that reads the same records and writes one row per subject. It repeats at a
quarter of the size, so peak memory can be compared (it should not grow with subjects).

    python bench/evaluate.py                     # 1,000,000 subjects, 10,000,000 records
    python bench/evaluate.py --quick             # 4,000 subjects, 40,000 records
    python bench/evaluate.py --subjects 100000 --records 1000000 --postgres-url postgresql://…

The floor reads exactly the revisions the evaluation must read: those known at the run's as_of
(`known_from <= as_of` and not closed by then), in a counted status, decided inside the cycle;
it sums their amounts per subject and inserts one row per subject into a bare table. What it
leaves out is what makes a result: the scope (subject kind and region), the indicator
conditions, the record ids behind each contribution, scoring and reasons, and the result
table's keys and indexes (its foreign keys to run, subject and set are checked row by row).

SQLite runs at a tenth of the size. Targets: at most 3× the floor; flat peak memory.
The last line is one JSON object with `ratio_to_floor` and `peak_rss_mb` per database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUNTED = "('active', 'under_objection', 'corrected', 'expired')"
# item, category, severity: three adverse kinds and one favourable one, in turn.
ITEMS = (
    ("MON-SPLIT-CHARGE", "monitoring", "'minor'"),
    ("ENF-38-SPLIT-ADMISSION", "enforcement", "'general'"),
    ("AGR-RECOVER", "agreement", "'general'"),
    ("POS-TRAINING", "positive", "NULL"),
)


def _case(column: int, modulus: str) -> str:
    whens = " ".join(f"WHEN {index} THEN {item[column] if column == 2 else repr(item[column])}"
                     for index, item in enumerate(ITEMS))  # fmt: skip
    return f"CASE {modulus} % {len(ITEMS)} {whens} END"


def generation_sql(dialect: str) -> tuple[str, str, str]:
    """Statements that make subjects, records and their first revisions inside the database."""
    if dialect == "sqlite":
        series = ("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
                  "SELECT g FROM s")  # fmt: skip
        decided = "date('2025-01-01', '+' || (g % 365) || ' days')"
    else:
        series = "SELECT generate_series(1, :n) AS g"
        decided = "DATE '2025-01-01' + (g % 365)"
    subjects = (
        "INSERT INTO subject (kind, name, region_code, identifier_override, created_at, updated_at)"
        f" SELECT 'medical_institution', 'bench ' || g, '430102', false, :t, :t FROM ({series}) x"
    )
    records = (
        "INSERT INTO credit_record (subject_id, item_code, pack_version_id, category, severity,"
        " decided_on, responsible, published, amount_involved, rule_code, source_system,"
        " source_ref, payload_digest, recorded_at, recorded_by, ingest_batch)"
        # A multiplier prime to the subject count spreads each subject's records over the year.
        f" SELECT :first + (CAST(g AS BIGINT) * 7919) % :subjects, {_case(0, 'g')}, :pack,"
        f" {_case(1, 'g')},"
        f" {_case(2, 'g')}, {decided}, '[]', false, (g % 1000) * 10000, 'R-1', 'bench',"
        f" 'B' || g, 'x', :t, 'bench', 'bench' FROM ({series}) x"
    )
    facts = ("subject_id, item_code, pack_version_id, category, severity, decided_on,"
             " responsible, published, amount_involved, rule_code")  # fmt: skip
    revisions = (
        f"INSERT INTO credit_record_revision (record_id, revision, status, changes, actor,"
        f" actor_role, known_from, {facts}) SELECT id, 1, 'active', '{{}}', 'bench', 'system',"
        f" recorded_at, {facts} FROM credit_record"
    )
    return subjects, records, revisions


# The floor reads what the evaluation must read: the revisions known at the run's as_of (known
# from before it, not yet closed by then), in a counted status, decided inside the cycle; and
# writes one row per subject. It leaves out only what makes a result a result: the scope join,
# the per-indicator conditions, the record ids, scoring, reasons and the result table's keys.
FLOOR = (
    "INSERT INTO bench_floor SELECT subject_id, sum(coalesce(amount_involved, 0))"
    " FROM credit_record_revision WHERE known_from <= :as_of"
    " AND (known_until IS NULL OR known_until > :as_of) AND status IN " + COUNTED +
    " AND decided_on BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY subject_id"
)  # fmt: skip


async def build(url: str, subjects: int, records: int) -> None:
    from sqlalchemy import bindparam, text

    from api.db import Database, metadata
    from credit.kernel.clock import utcnow
    from credit.kernel.db import UTCDateTime
    from credit.policy import service as policy
    from indicators import sets

    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with database.transaction() as session:
        await policy.ensure_defaults(session)
        await sets.ensure_default_sets(session)
    dialect = database.engine.dialect.name
    make_subjects, make_records, make_revisions = generation_sql(dialect)
    now = bindparam("t", value=utcnow(), type_=UTCDateTime)
    async with database.transaction() as session:
        await session.execute(text(make_subjects).bindparams(now, n=subjects))
        first = (await session.execute(text("SELECT min(id) FROM subject"))).scalar_one()
        national = text("SELECT id FROM policy_pack_version WHERE code = 'national'")
        pack = (await session.execute(national)).scalar_one()
        await session.execute(
            text(make_records).bindparams(now, n=records, first=first, subjects=subjects, pack=pack)
        )
        await session.execute(text(make_revisions))
    if dialect == "postgresql":
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
    await database.dispose()


async def measure(url: str) -> tuple[float, int, float]:
    from sqlalchemy import bindparam, text

    from api.db import Database
    from credit.kernel.actor import Actor, Role
    from credit.kernel.db import UTCDateTime
    from indicators import runs
    from indicators.runs import RunRequest

    database = Database(url)
    request = RunRequest(cycle="2025", profile_code="hunan-2024", kinds=("medical_institution",))
    started = time.perf_counter()
    async with database.transaction() as session:
        run = await runs.start(session, Actor(role=Role.OFFICER, name="bench"), request)
    evaluate_seconds = time.perf_counter() - started
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE bench_floor (subject_id BIGINT, total BIGINT)"))
    floor = text(FLOOR).bindparams(bindparam("as_of", value=run.as_of, type_=UTCDateTime))
    started = time.perf_counter()
    async with database.transaction() as session:
        await session.execute(floor)
    floor_seconds = time.perf_counter() - started
    await database.dispose()
    return evaluate_seconds, run.subjects_evaluated, floor_seconds


async def _admin(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def worker(backend: str, subjects: int, records: int, postgres_url: str) -> dict[str, Any]:
    """One measured run in this (fresh) process."""
    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as scratch:
        name = f"medcredit_bench_eval_{os.getpid()}"
        if backend == "sqlite":
            url, dsn = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}", ""
        else:
            base = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
            dsn = f"{base.rsplit('/', 1)[0]}/{name}"
            url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
            asyncio.run(_admin(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            asyncio.run(_admin(dsn, f'CREATE DATABASE "{name}"'))
        try:
            started = time.perf_counter()
            asyncio.run(build(url, subjects, records))
            build_seconds = time.perf_counter() - started
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            evaluate_seconds, evaluated, floor_seconds = asyncio.run(measure(url))
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
        finally:
            if backend == "postgres":
                asyncio.run(_admin(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert evaluated == subjects, (evaluated, subjects)
    return {
        "backend": backend,
        "subjects": subjects,
        "records": records,
        "build_seconds": round(build_seconds, 1),
        "evaluate_seconds": round(evaluate_seconds, 2),
        "subjects_per_s": round(subjects / evaluate_seconds),
        "floor_seconds": round(floor_seconds, 3),
        "ratio_to_floor": round(evaluate_seconds / floor_seconds, 2),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "rss_before_evaluation_mb": round(rss_before / 1024, 1),
    }


def _run_worker(backend: str, subjects: int, records: int, postgres_url: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", backend, "--subjects", str(subjects),
               "--records", str(records), "--postgres-url", postgres_url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{backend} worker ({subjects} subjects) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--records", type=int, default=None, help="default 10 per subject")
    parser.add_argument("--quick", action="store_true", help="4,000 subjects, 40,000 records")
    parser.add_argument("--postgres-url", default=os.environ.get("MEDCREDIT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    subjects = args.subjects or (4_000 if args.quick else 1_000_000)
    records = args.records or subjects * 10
    if args.worker:
        print(json.dumps(worker(args.worker, subjects, records, args.postgres_url)))
        return
    console = Console()
    sizes = {"postgres": (subjects, records), "sqlite": (subjects // 10, records // 10)}
    backends = ["sqlite", "postgres"] if args.postgres_url else ["sqlite"]
    table = Table("database", "subjects", "records", "evaluate s", "subjects/s", "floor s",
                  "ratio", "peak RSS MB")  # fmt: skip
    figures: dict[str, Any] = {}
    for backend in backends:
        full_subjects, full_records = sizes[backend]
        runs = [_run_worker(backend, full_subjects // 4, full_records // 4, args.postgres_url),
                _run_worker(backend, full_subjects, full_records, args.postgres_url)]  # fmt: skip
        for run in runs:
            console.print(f"  {json.dumps(run)}")
            table.add_row(backend, str(run["subjects"]), str(run["records"]),
                          str(run["evaluate_seconds"]), str(run["subjects_per_s"]),
                          str(run["floor_seconds"]), str(run["ratio_to_floor"]),
                          str(run["peak_rss_mb"]))  # fmt: skip
        quarter, full = runs
        figures[backend] = {
            **full,
            "peak_rss_mb_quarter_size": quarter["peak_rss_mb"],
            "memory_growth_4x_subjects": round(full["peak_rss_mb"] / quarter["peak_rss_mb"], 2),
        }
    if "postgres" not in figures:
        figures["postgres"] = {"skipped": "no PostgreSQL URL"}
    console.print(table)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
