"""The ingest engine: validate and store records a chunk at a time, idempotently.

Rows arrive as `(line, mapping)` pairs from any source (an API call, an NDJSON/CSV/Excel file).
Each chunk costs one lookup of the source references already stored, the subject and catalog
lookups its rows need that earlier chunks did not, one driver-level bulk insert of its records
(`credit.records.bulk`) and one INSERT … SELECT of their first revisions; then the subjects
concerned are announced (`credit.kernel.signals`) in the same transaction. Memory stays flat
whatever the number of rows (only rejected rows are kept, for the report).
`(source_system, source_ref)` is unique: the same payload again is `unchanged`, another payload
under a stored reference is a conflict of that row, and a row inserted concurrently by someone
else is caught by the unique constraint and re-classified, never stored twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel import knowledge, signals
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today, utcnow
from credit.records import bulk, repository, workflow
from credit.records.bulk import NewRecord
from credit.records.publication import window_for
from credit.records.reading import read_row
from credit.records.report import ImportMode, ImportReport, RowError
from credit.records.shape import ParsedRecord, RowFailure, payload_digest
from credit.records.validation import FactsChecker

Rows = AsyncIterable[tuple[int, Mapping[str, Any]]] | Iterable[tuple[int, Mapping[str, Any]]]
DEFAULT_CHUNK_SIZE = 5000
SLICE = 500  # rows read between two turns of the event loop
CONFLICT_RULE = "same_payload"
SIGNAL_CAUSE = signals.RECORDS_IMPORTED


@dataclass(slots=True)
class _Candidate:
    line: int
    row: ParsedRecord
    digest: str


async def _chunks(rows: Rows, size: int) -> AsyncIterator[list[tuple[int, Mapping[str, Any]]]]:
    chunk: list[tuple[int, Mapping[str, Any]]] = []
    if isinstance(rows, AsyncIterable):
        async for pair in rows:
            chunk.append(pair)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    else:
        for pair in rows:
            chunk.append(pair)
            if len(chunk) >= size:
                yield chunk
                chunk = []
            elif len(chunk) % SLICE == 0:
                await _let_the_database_work()
    if chunk:
        yield chunk


async def _let_the_database_work() -> None:
    """Let the chunk being stored send its next statement while this one is read (see `ingest`)."""
    await asyncio.sleep(0)


class Ingestion:
    """One ingest call's state: the report, caches, and the batch its records carry."""

    def __init__(
        self,
        session: AsyncSession,
        actor: Actor,
        *,
        mode: ImportMode,
        source_label: str,
        today: date | None = None,
    ) -> None:
        self.session = session
        self.actor = actor
        self.mode = mode
        self.report = ImportReport(source_label=source_label, mode=mode)
        self.report.batch = uuid.uuid4().hex
        self.checker = FactsChecker(session, today=today or business_today())

    def _reject(self, line: int, failures: list[RowFailure], source_ref: Any = None) -> None:
        ref = source_ref if isinstance(source_ref, str) else None
        self.report.rejected += 1
        self.report.errors += [
            RowError(line, failure.field, failure.rule, failure.message, ref)
            for failure in failures
        ]

    def _conflict(self, candidate: _Candidate, detail: str) -> None:
        ref = candidate.row.source_ref
        message = f"source_ref {ref} of {candidate.row.source_system} {detail}"
        self._reject(candidate.line, [RowFailure("source_ref", CONFLICT_RULE, message)], ref)

    async def process(self, chunk: list[tuple[int, Mapping[str, Any]]]) -> set[int]:
        """Validate one chunk and store its new rows; the subjects of the records stored."""
        return await self.store(await self.screen(self.read(chunk)))

    def read(self, rows: list[tuple[int, Mapping[str, Any]]]) -> list[_Candidate]:
        """Rows in their normalised shape with their fingerprint; bad shapes are rejected."""
        candidates: list[_Candidate] = []
        for line, raw in rows:
            row, failures = read_row(raw)
            if row is None:
                ref = raw.get("source_ref") if isinstance(raw, Mapping) else None
                self._reject(line, failures, ref)
            else:
                candidates.append(_Candidate(line, row, payload_digest(row)))
        return candidates

    async def screen(self, candidates: list[_Candidate]) -> list[tuple[_Candidate, NewRecord]]:
        """The candidates to insert: new references whose facts hold."""
        return await self._checked(await self._not_yet_stored(self._first_of_each_ref(candidates)))

    async def store(self, records: list[tuple[_Candidate, NewRecord]]) -> set[int]:
        """Insert the records (unless an all-or-nothing batch failed); their subjects."""
        while records and not (self.mode == "all_or_nothing" and self.report.rejected):
            try:
                async with self.session.begin_nested():
                    await self._insert(records)
            except IntegrityError:
                # Someone stored some of these references meanwhile: those become unchanged or
                # conflicts, the rest is inserted again. Any other violation is a real error.
                retry = await self._not_yet_stored([candidate for candidate, _ in records])
                if len(retry) == len(records):
                    raise
                kept = {id(candidate) for candidate in retry}
                records = [pair for pair in records if id(pair[0]) in kept]
                continue
            self.report.created += len(records)
            return {record.row.subject_id for _, record in records}
        return set()

    async def _insert(self, records: list[tuple[_Candidate, NewRecord]]) -> None:
        await knowledge.stamping(self.session)
        stamp = bulk.Stamp(utcnow(), self.actor.name, self.report.batch)
        first, last = await bulk.insert_records(
            self.session, [record for _, record in records], stamp
        )
        await repository.open_first_revisions(
            self.session,
            self.report.batch,
            (first, last),
            status=workflow.INITIAL_STATUS,
            actor=self.actor,
            reason=f"recorded from {self.report.source_label}",
        )
        report = self.report
        report.first_record_id = min(first, report.first_record_id or first)
        report.last_record_id = max(last, report.last_record_id or last)

    async def store_and_announce(self, records: list[tuple[_Candidate, NewRecord]]) -> None:
        """Store a chunk, then tell the reactions which subjects got records, in this session."""
        subject_ids = await self.store(records)
        await signals.subjects_changed(self.session, subject_ids, SIGNAL_CAUSE)

    def _first_of_each_ref(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """A reference repeated in the chunk: the same payload is unchanged, another conflicts."""
        first: dict[tuple[str, str], _Candidate] = {}
        kept = []
        for candidate in candidates:
            key = (candidate.row.source_system, candidate.row.source_ref)
            earlier = first.get(key)
            if earlier is None:
                first[key] = candidate
                kept.append(candidate)
            elif earlier.digest == candidate.digest:
                self.report.unchanged += 1
            else:
                self._conflict(candidate, f"repeats line {earlier.line} with another payload")
        return kept

    async def _not_yet_stored(self, candidates: list[_Candidate]) -> list[_Candidate]:
        by_system: dict[str, list[_Candidate]] = {}
        for candidate in candidates:
            by_system.setdefault(candidate.row.source_system, []).append(candidate)
        fresh = []
        for system, group in by_system.items():
            stored = await repository.stored_refs(
                self.session, system, [candidate.row.source_ref for candidate in group]
            )
            for candidate in group:
                found = stored.get(candidate.row.source_ref)
                if found is None:
                    fresh.append(candidate)
                elif found[1] == candidate.digest:
                    self.report.unchanged += 1
                else:
                    self._conflict(candidate, f"is already record {found[0]} with another payload")
        return fresh

    async def _checked(self, candidates: list[_Candidate]) -> list[tuple[_Candidate, NewRecord]]:
        checker = self.checker
        await checker.prepare([(each.row.subject_id, each.row) for each in candidates])
        records = []
        for candidate in candidates:
            row = candidate.row
            verdict = checker.verdict(row.subject_id, row)
            if isinstance(verdict, list):
                self._reject(candidate.line, verdict, row.source_ref)
                continue
            severity = row.severity.value if row.severity else verdict.severity
            window = window_for(verdict.publication(severity), row.decided_on)
            records.append((candidate, NewRecord(row, verdict, window, candidate.digest)))
        return records


async def ingest(
    session: AsyncSession,
    actor: Actor,
    rows: Rows,
    *,
    mode: ImportMode,
    source_label: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    today: date | None = None,
) -> ImportReport:
    """Validate and store `rows` (`(line, mapping)` pairs); one audit event for the batch.

    `partial`: good rows are stored, bad rows reported. `all_or_nothing`: one bad row and
    nothing is stored — the engine rolls back its own savepoint, so the caller's transaction
    holds none of it even if the caller commits — and the report says `rolled_back`.
    """
    await repository.lock_imports(session)
    ingestion = Ingestion(session, actor, mode=mode, source_label=source_label, today=today)
    report = ingestion.report
    savepoint = await session.begin_nested() if mode == "all_or_nothing" else None
    # A pipeline of two: while the database stores one chunk (SQLite in aiosqlite's thread,
    # PostgreSQL in its server process), Python reads and fingerprints the next. Only the store
    # touches the session until it is awaited, so the session is never used twice at once.
    storing: asyncio.Future[None] | None = None
    try:
        async for chunk in _chunks(rows, chunk_size):
            candidates = []
            for start in range(0, len(chunk), SLICE):
                candidates += ingestion.read(chunk[start : start + SLICE])
                await _let_the_database_work()
            if storing is not None:
                await storing
            records = await ingestion.screen(candidates)
            storing = asyncio.ensure_future(ingestion.store_and_announce(records))
        if storing is not None:
            await storing
        if savepoint is not None and report.rejected:
            await savepoint.rollback()
            report.rolled_back, report.created = True, 0
            return report
    except BaseException:
        if storing is not None:
            # The session is the store's until it ends; its own failure is secondary here.
            await asyncio.wait([storing])
            if not storing.cancelled():
                storing.exception()
        if savepoint is not None and savepoint.is_active:
            await savepoint.rollback()
        raise
    if savepoint is not None:
        await savepoint.commit()
    if report.created:
        await audit.record(
            session,
            actor,
            "record.import",
            "credit_record",
            f"{report.first_record_id}-{report.last_record_id}",
            {
                "source": source_label,
                "mode": mode,
                "batch": report.batch,
                "created": report.created,
                "unchanged": report.unchanged,
                "rejected": report.rejected,
            },
        )
    return report
