"""Crash and concurrency tests: the command in a child process, and what must hold afterwards.

`Commands` starts `medcredit` (through `tests.reliability.crashpoint`, or the installed script)
against the test database and kills it with SIGKILL where the test says. `check_consistency` is
what must hold after any crash: every table agrees with the tables that explain it.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from stdnum.cn import uscc

from api.db import Database, metadata
from credit.audit import service as audit
from credit.kernel.actor import SYSTEM_ACTOR
from credit.records.ingest import ingest
from credit.subjects.bulk import bulk_register
from credit.subjects.models import SubjectCreate
from tests.api.imports_support import RECORD_COLUMNS, record

ROOT = Path(__file__).resolve().parents[2]
MEDCREDIT = Path(sys.executable).with_name("medcredit")
POINT_TIMEOUT = 300  # seconds a child may take to reach its crash point on a loaded machine
IN_FORCE = {"black": "published", "red": "published", "focus": "listed"}


@dataclass(frozen=True, slots=True)
class Finished:
    code: int
    stdout: str
    stderr: str


class Commands:
    """`medcredit` commands in child processes on the test database."""

    def __init__(self, database_url: str, var_dir: Path) -> None:
        var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir = var_dir
        self.env = {
            **os.environ,
            "MEDCREDIT_DATABASE_URL": database_url,
            "MEDCREDIT_VAR_DIR": str(var_dir),
            "MEDCREDIT_SECRET_KEY": "test-secret-key-that-is-long-enough",
            "MEDCREDIT_SCHEDULER": "off",
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "120",
        }
        self.spawned = 0

    def _spawn(self, argv: list[str]) -> tuple[subprocess.Popen[str], Path]:
        self.spawned += 1
        err = self.var_dir / f"stderr-{self.spawned}.txt"
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=err.open("w"),
            text=True,
        )
        return process, err

    @staticmethod
    def _runner(*commands: list[str], at: str | None, sets: tuple[str, ...]) -> list[str]:
        argv = [sys.executable, "-m", "tests.reliability.crashpoint"]
        if at:
            argv += ["--at", at]
        for setting in sets:
            argv += ["--set", setting]
        argv.append("--")
        for number, command in enumerate(commands):
            argv += (["--and"] if number else []) + command
        return argv

    def run(self, *commands: list[str], sets: tuple[str, ...] = ()) -> Finished:
        """Run commands to their end in one child; their output."""
        process, err = self._spawn(self._runner(*commands, at=None, sets=sets))
        stdout, _ = process.communicate(timeout=POINT_TIMEOUT * 2)
        return Finished(process.returncode, stdout, err.read_text())

    def kill_at(self, point: str, command: list[str], sets: tuple[str, ...] = ()) -> float:
        """Run `command` to `point` and SIGKILL it there; the seconds it took to get there."""
        started = time.monotonic()
        process, err = self._spawn(self._runner(command, at=point, sets=sets))
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        seen: list[str] = []
        deadline = time.monotonic() + POINT_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                process.kill()
                raise AssertionError(f"{point} not reached in {POINT_TIMEOUT} s") from None
            if line is None:
                process.wait()
                raise AssertionError(
                    f"the command ended (exit {process.returncode}) before {point}:\n"
                    + "".join(seen)
                    + err.read_text()[-3000:]
                )
            seen.append(line)
            if line.startswith("CRASHPOINT"):
                break
        reached = time.monotonic() - started
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL
        return reached

    def kill_after(self, seconds: float, args: list[str]) -> bool:
        """The installed `medcredit ARGS` (or the approval script), SIGKILLed after `seconds`;
        whether it still ran."""
        scripted = args[:1] == ["approve-repair"]
        argv = self._runner(args, at=None, sets=()) if scripted else [str(MEDCREDIT), *args]
        process, _ = self._spawn(argv)
        try:
            process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.communicate()
            return True
        return False


# --- What must hold after any crash -------------------------------------------------------


async def census(db: Database) -> dict[str, int]:
    """Rows per table."""
    counts = {}
    async with db.reading() as session:
        for table in metadata.sorted_tables:
            query = select(func.count()).select_from(table)
            counts[table.name] = int((await session.execute(query)).scalar_one())
    return counts


async def _rows(db: Database, sql: str) -> list[Any]:
    async with db.reading() as session:
        return list((await session.execute(text(sql))).all())


async def check_consistency(db: Database) -> None:
    """Everything a crash could have torn apart is whole: audit chain, change log, runs, records,
    import batches, list entries and repairs each agree with what explains them."""
    async with db.reading() as session:
        report = await audit.verify(session)
    assert report.intact, f"audit chain broken at {report.first_broken_seq}: {report.problem}"
    await _check_change_log(db)
    await _check_runs(db)
    await _check_records(db)
    await _check_workflows(db)


async def _check_change_log(db: Database) -> None:
    seqs = [row[0] for row in await _rows(db, "SELECT seq FROM change_log ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1)), "change log seqs are not 1..n"
    logged: dict[tuple[str, int], list[str]] = defaultdict(list)
    for entity, entity_id, op in await _rows(
        db, "SELECT entity, entity_id, op FROM change_log ORDER BY seq"
    ):
        logged[(entity, entity_id)].append(op)
    # Every visible step of a list entry has its change, and every change its step.
    expected: dict[tuple[str, int], list[str]] = defaultdict(list)
    entries = dict(await _rows(db, "SELECT id, list_name FROM list_entry"))
    for entry_id, before, after in await _rows(
        db, "SELECT entry_id, from_status, to_status FROM list_entry_event ORDER BY id"
    ):
        visible = IN_FORCE[entries[entry_id]]
        if visible in (before, after):
            op = "MOD" if before == after else "ADD" if after == visible else "DEL"
            expected[("list_entry", entry_id)].append(op)
    listed = {key: ops for key, ops in logged.items() if key[0] == "list_entry"}
    assert listed == dict(expected), "list entry changes and the change log disagree"
    # Every assignment was announced when it started, and its end when it ended.
    statuses = dict(await _rows(db, "SELECT id, status FROM measure_assignment"))
    for (entity, entity_id), ops in logged.items():
        if entity != "measure_assignment":
            continue
        assert entity_id in statuses, f"change of a missing assignment {entity_id}"
        assert ops[0] == "ADD"
        assert (ops[-1] == "DEL") == (statuses[entity_id] == "ended"), (entity_id, ops)
    unannounced = set(statuses) - {key[1] for key in logged if key[0] == "measure_assignment"}
    assert not unannounced, f"assignments never announced to partners: {sorted(unannounced)[:5]}"


async def _check_runs(db: Database) -> None:
    orphans = await _rows(
        db,
        "SELECT count(*) FROM evaluation_result r "
        "WHERE NOT EXISTS (SELECT 1 FROM evaluation_run u WHERE u.id = r.run_id)",
    )
    assert orphans[0][0] == 0, "results of a run that does not exist"
    for run_id, evaluated, results, events in await _rows(
        db,
        "SELECT u.id, u.subjects_evaluated, "
        "(SELECT count(*) FROM evaluation_result r WHERE r.run_id = u.id), "
        "(SELECT count(*) FROM evaluation_run_event e WHERE e.run_id = u.id) "
        "FROM evaluation_run u",
    ):
        assert results == evaluated, f"run {run_id}: {results} results of {evaluated} subjects"
        assert events >= 1, f"run {run_id} has no event"


async def _check_records(db: Database) -> None:
    torn = await _rows(
        db,
        "SELECT c.id FROM credit_record c WHERE (SELECT count(*) FROM credit_record_revision v "
        "WHERE v.record_id = c.id AND v.known_until IS NULL) <> 1",
    )
    assert not torn, f"records without exactly one current revision: {torn[:5]}"
    duplicates = await _rows(
        db,
        "SELECT source_system, source_ref FROM credit_record "
        "GROUP BY source_system, source_ref HAVING count(*) > 1",
    )
    assert not duplicates, f"stored twice: {duplicates[:5]}"
    # An import's audit event names its batch and what it created; those rows exist, all of them.
    events = await _rows(db, "SELECT change FROM audit_event WHERE action = 'record.import'")
    imported = dict(
        await _rows(db, "SELECT ingest_batch, count(*) FROM credit_record GROUP BY ingest_batch")
    )
    for (change,) in events:
        told = json.loads(change)
        assert imported.get(told["batch"], 0) == told["created"], told
    batches = await _rows(db, "SELECT count(*) FROM import_batch")
    batch_events = await _rows(
        db, "SELECT count(*) FROM audit_event WHERE target_type = 'import_batch'"
    )
    assert batches == batch_events, "import batches and their audit events disagree"


async def _check_workflows(db: Database) -> None:
    for table, events, key in (
        ("list_entry", "list_entry_event", "entry_id"),
        ("credit_repair", "credit_repair_event", "repair_id"),
        ("evaluation_run", "evaluation_run_event", "run_id"),
    ):
        torn = await _rows(
            db,
            f"SELECT t.id, t.status FROM {table} t WHERE t.status <> (SELECT e.to_status FROM "
            f"{events} e WHERE e.{key} = t.id ORDER BY e.id DESC LIMIT 1)",
        )
        assert not torn, f"{table} status differs from its last event: {torn[:5]}"


# --- Data ------------------------------------------------------------------------------------


def hospitals(count: int, start: int = 1) -> list[SubjectCreate]:
    rows = []
    for number in range(start, start + count):
        body = f"9143011{number:010d}"
        rows.append(
            SubjectCreate(
                kind="medical_institution",
                name=f"可靠性测试医院{number}",
                uscc=body + uscc.calc_check_digit(body),
                region_code="430102",
            )
        )
    return rows


async def register(db: Database, count: int, start: int = 1) -> list[int]:
    async with db.transaction() as session:
        return await bulk_register(session, SYSTEM_ACTOR, hospitals(count, start))


def write_records(
    path: Path, subject_ids: list[int], count: int, *, bad_lines: tuple[int, ...] = ()
) -> int:
    """A CSV of `count` record rows over the subjects (rows numbered from 1 at `bad_lines` carry
    an impossible date); how many rows are good."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RECORD_COLUMNS)
        for number in range(1, count + 1):
            row = record(subject_ids[number % len(subject_ids)], f"crash-{number:07d}")
            if number in bad_lines:
                row["decided_on"] = "2025-02-30"
            writer.writerow(["" if row.get(name) is None else row[name] for name in RECORD_COLUMNS])
    return count - len(bad_lines)


async def add_records(db: Database, rows: list[dict[str, Any]], label: str) -> int:
    async with db.transaction() as session:
        report = await ingest(
            session, SYSTEM_ACTOR, enumerate(rows, 1), mode="partial", source_label=label
        )
    assert not report.errors, report.errors[:3]
    return report.created
