"""The ingest engine: validate and store records a chunk at a time, idempotently.

Rows arrive as `(line, mapping)` pairs from any source (an API call, an NDJSON/CSV/Excel file).
Each chunk costs one subject lookup, one lookup of the source references already stored, cached
catalog lookups and one executemany; revision 1 of every record is written by one INSERT … SELECT
at the end. Memory stays flat whatever the number of rows (only rejected rows are kept, for the
report). `(source_system, source_ref)` is unique: the same payload again is `unchanged`, another
payload under a stored reference is a conflict of that row, and a row inserted concurrently by
someone else is caught by the unique constraint and re-classified, never stored twice.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today, utcnow
from credit.records import repository, workflow
from credit.records.report import ImportMode, ImportReport, RowError
from credit.records.schemas import RecordSubmission
from credit.records.shape import RowFailure, parse_row, payload_digest
from credit.records.validation import FactsChecker

Rows = AsyncIterable[tuple[int, Mapping[str, Any]]] | Iterable[tuple[int, Mapping[str, Any]]]
DEFAULT_CHUNK_SIZE = 5000
CONFLICT_RULE = "same_payload"


@dataclass(slots=True)
class _Candidate:
    line: int
    row: RecordSubmission
    digest: str


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one chunk is processed.

    A chunk allocates tens of thousands of objects that all live until it is stored, so the
    collector promotes them and then sweeps the whole heap again and again: measured, a quarter
    of the import's time. Reference counting frees them all the same; the collector resumes, as
    it was, when the chunk is done (other tasks of the process share the pause meanwhile).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    if chunk:
        yield chunk


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
        self.above_id: int | None = None

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

    async def process(self, chunk: list[tuple[int, Mapping[str, Any]]]) -> None:
        """Validate one chunk and store its new rows (unless an all-or-nothing batch failed)."""
        candidates: list[_Candidate] = []
        for line, raw in chunk:
            row, failures = parse_row(raw)
            if row is None:
                ref = raw.get("source_ref") if isinstance(raw, Mapping) else None
                self._reject(line, failures, ref)
            else:
                candidates.append(_Candidate(line, row, payload_digest(row)))
        candidates = await self._not_yet_stored(self._first_of_each_ref(candidates))
        rows = await self._checked(candidates)
        while rows and not (self.mode == "all_or_nothing" and self.report.rejected):
            if self.above_id is None:
                self.above_id = await repository.highest_record_id(self.session)
            try:
                async with self.session.begin_nested():
                    await repository.insert_records(self.session, [row for _, row in rows])
            except IntegrityError:
                # Someone stored some of these references meanwhile: those become unchanged or
                # conflicts, the rest is inserted again. Any other violation is a real error.
                retry = await self._not_yet_stored([candidate for candidate, _ in rows])
                if len(retry) == len(rows):
                    raise
                kept = {id(candidate) for candidate in retry}
                rows = [(candidate, row) for candidate, row in rows if id(candidate) in kept]
                continue
            self.report.created += len(rows)
            return

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

    async def _checked(
        self, candidates: list[_Candidate]
    ) -> list[tuple[_Candidate, dict[str, Any]]]:
        outcomes = await self.checker.check(
            [(candidate.row.subject_id, candidate.row) for candidate in candidates]
        )
        now = utcnow()
        rows = []
        for candidate, outcome in zip(candidates, outcomes, strict=True):
            if outcome.facts is None:
                self._reject(candidate.line, outcome.failures, candidate.row.source_ref)
                continue
            facts = outcome.facts
            facts["source_system"] = candidate.row.source_system
            facts["source_ref"] = candidate.row.source_ref
            facts["payload_digest"] = candidate.digest
            facts["recorded_at"] = now
            facts["recorded_by"] = self.actor.name
            facts["ingest_batch"] = self.report.batch
            rows.append((candidate, facts))
        return rows

    async def finish(self) -> None:
        """Open revision 1 of every record stored and note their id range."""
        if not self.report.created or self.above_id is None:
            return
        await repository.open_first_revisions(
            self.session,
            self.report.batch,
            self.above_id,
            status=workflow.INITIAL_STATUS,
            actor=self.actor,
            reason=f"recorded from {self.report.source_label}",
        )
        count, first, last = await repository.batch_extent(
            self.session, self.report.batch, self.above_id
        )
        self.report.first_record_id, self.report.last_record_id = first, last
        assert count == self.report.created


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
    ingestion = Ingestion(session, actor, mode=mode, source_label=source_label, today=today)
    report = ingestion.report
    savepoint = await session.begin_nested() if mode == "all_or_nothing" else None
    try:
        async for chunk in _chunks(rows, chunk_size):
            with cyclic_gc_paused():
                await ingestion.process(chunk)
        if savepoint is not None and report.rejected:
            await savepoint.rollback()
            report.rolled_back, report.created = True, 0
            return report
        await ingestion.finish()
    except BaseException:
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
