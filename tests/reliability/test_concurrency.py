"""Many clients at once on PostgreSQL: imports, decisions, runs and feed readers stay correct.

Each client has its own engine (its own connections), as separate web workers or CLI processes
would. Where an interleaving matters, the test waits until PostgreSQL shows a client blocked on a
lock instead of trusting timing.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from api.db import Database
from credit.changelog import service as changelog
from credit.changelog.models import ChangedEntity, ChangeOp, FeedStream
from credit.feeds import changes as feed
from credit.ingestion import service as imports
from credit.ingestion.formats import FileFormat
from credit.ingestion.models import ImportKind, ImportMode
from credit.ingestion.targets import TARGETS
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import Conflict
from credit.kernel.statements import SessionStatements
from credit.records.ingest import ingest
from indicators import runs
from indicators.runs import RunRequest
from repair import objections, repository
from repair.models import ObjectionStatus
from repair.schemas import ObjectionTransition
from tests.api.imports_support import RECORD_COLUMNS, record
from tests.reliability.support import add_records, check_consistency, register
from tests.repair.support import (
    OFFICER,
    REVIEWER,
    REVIEWER2,
    add_record,
    ago,
    file_objection,
    hospital,
    seed,
    subject_actor,
    under_review,
)

RUN = RunRequest(cycle="2025", profile_code="hunan-2024", kinds=("medical_institution",))


@pytest.fixture
async def clients(database_url: str) -> AsyncIterator[Callable[[], Database]]:
    """Open a database client of its own (an engine with its own pool); all closed at the end."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite takes one writer at a time; concurrency is tested on PostgreSQL")
    opened: list[Database] = []

    def open_client() -> Database:
        opened.append(Database(database_url))
        return opened[-1]

    yield open_client
    for client in opened:
        await client.dispose()


async def blocked_on_a_lock(db: Database, at_least: int = 1) -> None:
    """Wait until `at_least` sessions of this database wait for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(3000):
        async with db.reading() as session:
            if (await session.execute(query)).scalar_one() >= at_least:
                return
        await asyncio.sleep(0.01)
    raise AssertionError("no session ever waited for the lock")


# --- 20 clients importing overlapping files ----------------------------------------------------


async def test_twenty_overlapping_imports_store_each_reference_once(
    db: Database, clients: Callable[[], Database], tmp_path: Path
) -> None:
    await seed(db)
    subject_ids = await register(db, 10)
    pool = [f"shared-{number:05d}" for number in range(3000)]
    shuffle = random.Random(20)
    files = []
    for client in range(20):
        refs = shuffle.sample(pool, 600)  # each file its own order of a common pool
        files.append((tmp_path / f"client{client}.csv", refs))
    for path, refs in files:
        _write_refs(path, subject_ids, refs)

    async def one_client(path: Path) -> Any:
        client = clients()
        received = imports.ReceivedFile(path=path, file_format=FileFormat.CSV, file_name=path.name)
        async with client.transaction() as session:
            outcome = await imports.run_import(
                session,
                SYSTEM_ACTOR,
                TARGETS[ImportKind.RECORDS],
                received,
                mode=ImportMode.PARTIAL,
            )
        return outcome.report

    reports = await asyncio.gather(*(one_client(path) for path, _ in files))

    distinct = {ref for _, refs in files for ref in refs}
    assert all(report.rejected == 0 for report in reports), [r.errors[:2] for r in reports]
    assert all(report.created + report.unchanged == 600 for report in reports)
    assert sum(report.created for report in reports) == len(distinct)
    async with db.reading() as session:
        stored = await session.execute(
            text("SELECT source_ref, count(*) FROM credit_record GROUP BY source_ref")
        )
        counts = dict(stored.all())
    assert counts == dict.fromkeys(distinct, 1)
    await check_consistency(db)


def _write_refs(path: Path, subject_ids: list[int], refs: list[str]) -> None:
    """The file's rows: every client sends the same payload for a reference."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RECORD_COLUMNS)
        for ref in refs:
            row = record(subject_ids[int(ref[-5:]) % len(subject_ids)], ref)
            writer.writerow(["" if row.get(name) is None else row[name] for name in RECORD_COLUMNS])


# --- Two reviewers deciding one objection ------------------------------------------------------


async def _objection_under_review(db: Database, number: int) -> int:
    subject_id = await hospital(db, number)
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(40), f"o{number}")
    filed = await file_objection(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    assert filed.id is not None
    await under_review(db, filed.id)
    return filed.id


UPHELD = ObjectionTransition(to="upheld", reason="处罚决定已被撤销")  # type: ignore[arg-type]
DISMISSED = ObjectionTransition(to="dismissed", reason="处罚决定合法有效")  # type: ignore[arg-type]


async def _decide(client: Database, reviewer: Any, objection_id: int, step: Any) -> str:
    async with client.transaction() as session:
        decided = await objections.move(session, reviewer, objection_id, step)
        return decided.status


async def test_the_second_of_two_reviewers_deciding_at_once_gets_409(
    db: Database, clients: Callable[[], Database]
) -> None:
    await seed(db)
    objection_id = await _objection_under_review(db, 1)
    first, second = clients(), clients()

    async with first.transaction() as session:
        await objections.move(session, REVIEWER, objection_id, UPHELD)
        late = asyncio.create_task(_decide(second, REVIEWER2, objection_id, DISMISSED))
        await blocked_on_a_lock(db)  # the second decision waits for the first to end
    with pytest.raises(Conflict) as refused:
        await late
    assert refused.value.status_code == 409
    assert refused.value.extra["current_status"] == "upheld"
    async with db.reading() as session:
        events = await repository.objection_events(session, objection_id)
    assert [event.to_status for event in events].count("upheld") == 1
    assert "dismissed" not in [event.to_status for event in events]
    await check_consistency(db)


async def test_a_reviewer_who_read_the_objection_before_the_other_decided_gets_409(
    db: Database, clients: Callable[[], Database]
) -> None:
    await seed(db)
    objection_id = await _objection_under_review(db, 1)
    reader = clients()
    async with reader.transaction() as session:
        # The objection as the reviewer saw it on screen, loaded into this session.
        seen = await objections.readable(session, REVIEWER2, objection_id)
        assert seen.status == ObjectionStatus.UNDER_REVIEW
        assert await _decide(clients(), REVIEWER, objection_id, UPHELD) == "upheld"
        with pytest.raises(Conflict):
            await objections.move(session, REVIEWER2, objection_id, DISMISSED)


async def test_many_pairs_deciding_at_once_each_decided_once(
    db: Database, clients: Callable[[], Database]
) -> None:
    await seed(db)
    ids = [await _objection_under_review(db, number) for number in range(1, 7)]

    async def race(objection_id: int) -> list[Any]:
        return await asyncio.gather(
            _decide(clients(), REVIEWER, objection_id, UPHELD),
            _decide(clients(), REVIEWER2, objection_id, DISMISSED),
            return_exceptions=True,
        )

    for outcome in await asyncio.gather(*(race(objection_id) for objection_id in ids)):
        won = [result for result in outcome if isinstance(result, str)]
        lost = [result for result in outcome if not isinstance(result, str)]
        assert len(won) == 1, outcome
        assert len(lost) == 1, outcome
        assert isinstance(lost[0], Conflict), outcome
    await check_consistency(db)


# --- An evaluation run while records keep arriving ---------------------------------------------


def _row(subject_id: int, ref: str) -> dict[str, Any]:
    return {
        "subject_id": subject_id,
        "item_code": "ENF-38-SPLIT-ADMISSION",
        "decided_on": "2025-06-10",
        "document_no": f"湘医保罚〔2025〕{ref}号",
        "amount_involved": "80000.00",
        "fine_amount": "160000.00",
        "source_system": "arriving",
        "source_ref": ref,
    }


async def _results(db: Database, run_id: int) -> set[tuple[Any, ...]]:
    async with db.reading() as session:
        rows = await session.execute(
            text(
                "SELECT subject_id, eligible, total, grade, reason_codes FROM evaluation_result "
                "WHERE run_id = :run"
            ),
            {"run": run_id},
        )
        return {(*row[:4], str(row[4])) for row in rows.all()}


async def _same_as_a_rerun(db: Database, run_id: int) -> None:
    """A run of the same as_of, computed when nothing is arriving any more, agrees with it."""
    async with db.transaction() as session:
        run = await runs.get_run(session, run_id)
        request = dataclasses.replace(RUN, as_of=run.as_of)
        again = await runs.start(session, OFFICER, request)
    assert again.id is not None
    assert await _results(db, run_id) == await _results(db, again.id)


async def test_a_run_waits_for_a_record_stamped_before_its_as_of(
    db: Database, clients: Callable[[], Database]
) -> None:
    await seed(db)
    subject_ids = await register(db, 30)
    await add_records(db, [_row(sid, f"before-{sid}") for sid in subject_ids[::2]], "before")
    writer, evaluator = clients(), clients()
    progressed = asyncio.Event()

    async def evaluate() -> int:
        async with evaluator.transaction() as session:
            run = await runs.start(session, OFFICER, RUN, on_progress=lambda *_: progressed.set())
        assert run.id is not None
        return run.id

    async with writer.transaction() as session:
        # Known from now (stamped), committed only after the run has started.
        await ingest(
            session,
            SYSTEM_ACTOR,
            [(1, _row(subject_ids[1], "late"))],
            mode="partial",
            source_label="late",
        )
        running = asyncio.create_task(evaluate())
        waits = asyncio.create_task(blocked_on_a_lock(db))
        await asyncio.wait([running, waits], return_when=asyncio.FIRST_COMPLETED)
        waits.cancel()
    await _same_as_a_rerun(db, await running)


async def test_runs_while_records_keep_arriving_give_the_result_of_their_as_of(
    db: Database, clients: Callable[[], Database]
) -> None:
    await seed(db)
    subject_ids = await register(db, 120)
    await add_records(db, [_row(sid, f"first-{sid}") for sid in subject_ids[::3]], "first")
    done = asyncio.Event()

    async def keep_importing(number: int) -> int:
        client, batches = clients(), 0
        while not done.is_set():
            rows = [
                _row(
                    subject_ids[(batches * 7 + k + number) % len(subject_ids)],
                    f"w{number}-{batches}-{k}",
                )
                for k in range(20)
            ]
            async with client.transaction() as session:
                await ingest(
                    session,
                    SYSTEM_ACTOR,
                    enumerate(rows, 1),
                    mode="partial",
                    source_label="arriving",
                )
                await asyncio.sleep(0.02)  # a transaction that takes a while to commit
            batches += 1
        return batches

    writers = [asyncio.create_task(keep_importing(number)) for number in range(3)]
    run_ids = []
    for _ in range(3):
        async with clients().transaction() as session:
            run = await runs.start(session, OFFICER, RUN)
        assert run.id is not None
        run_ids.append(run.id)
    done.set()
    assert all(batches > 0 for batches in await asyncio.gather(*writers))
    for run_id in run_ids:
        await _same_as_a_rerun(db, run_id)


# --- A feed reader following the cursor while writers append ----------------------------------


async def test_a_reader_following_the_cursor_never_misses_a_change(
    db: Database, clients: Callable[[], Database]
) -> None:
    await seed(db)
    (subject_id,) = await register(db, 1)
    writing = 8
    finished = asyncio.Event()
    rolled_back = 0

    async def writer(number: int) -> None:
        nonlocal rolled_back
        client, shuffle = clients(), random.Random(number)
        for change in range(25):
            try:
                async with client.transaction() as session:
                    await changelog.append(
                        session,
                        entity=ChangedEntity.LIST_ENTRY,
                        entity_id=number * 1000 + change,
                        op=ChangeOp.ADD,
                        subject_id=subject_id,
                        body={"list": "black", "writer": number, "change": change},
                    )
                    await asyncio.sleep(shuffle.uniform(0, 0.01))  # commit a bit later
                    if change % 5 == 4:
                        raise _Abandoned
            except _Abandoned:
                rolled_back += 1

    async def reader() -> list[int]:
        client, cursor, seen = clients(), "0", []
        while True:
            last_round = finished.is_set()
            while True:
                async with client.reading() as session:
                    page = await feed.read(SessionStatements(session), FeedStream.BLACK, cursor, 7)
                seen += [change["seq"] for change in orjson.loads(page.content)["changes"]]
                cursor = page.next_cursor
                if not page.has_more:
                    break
            if last_round:
                return seen
            await asyncio.sleep(0.002)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(number) for number in range(writing)))
    finished.set()
    seen = await reading
    committed = writing * 25 - rolled_back
    assert seen == list(range(1, committed + 1))


class _Abandoned(Exception):
    """A writer that gives up: its change is rolled back and its seq goes to the next one."""
