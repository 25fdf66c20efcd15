"""Running one import: parse the file, hand its rows to the domain's ingest, keep the report.

`run_import` owns the transaction of the session it is given. In all_or_nothing mode a refused
file is rolled back entirely (SAVEPOINTs are avoided on purpose: the SQLite driver's implicit
transactions make them unreliable), and then the batch and its rejected rows are written, so the
full report survives even when no record does.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.ingestion import repository
from credit.ingestion.formats import (
    IGNORED_COLUMNS,
    FileFormat,
    Layout,
    RowProblem,
    RowSource,
    open_rows,
)
from credit.ingestion.models import ImportBatch, ImportKind, ImportMode
from credit.ingestion.report import ErrorLike, ImportReport, LineError
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow

PROGRESS_EVERY = 1000
INSERT_CHUNK = 1000
Row = tuple[int, Mapping[str, Any]]


class Ingest(Protocol):
    def __call__(
        self,
        session: AsyncSession,
        actor: Actor,
        rows: Iterable[Row],
        *,
        mode: ImportMode,
        source_label: str | None,
    ) -> Awaitable[Any]: ...


@dataclass(frozen=True, slots=True)
class ImportTarget:
    """What a kind of file feeds: its columns and the domain's ingest function."""

    kind: ImportKind
    layout: Layout
    ingest: Ingest
    report_of: Callable[[Any, ImportMode], ImportReport]
    """Turns the ingest's own report into this module's `ImportReport`."""


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    path: Path
    file_format: FileFormat
    file_name: str | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    batch: ImportBatch
    report: ImportReport


def _tracked(source: RowSource, on_progress: Callable[[RowSource], None] | None) -> Iterator[Row]:
    for count, row in enumerate(source, start=1):
        if on_progress is not None and count % PROGRESS_EVERY == 0:
            on_progress(source)
        yield row
    if on_progress is not None:
        on_progress(source)


def _merged(report: ImportReport, problems: list[RowProblem]) -> ImportReport:
    """The ingest's report plus the rows the parser could not read, in line order."""
    report.rejected += len({problem.line for problem in problems})
    report.errors.extend(LineError(p.line, p.field, p.rule, p.message) for p in problems)
    report.errors.sort(key=lambda error: error.line)  # stable: a line's rules keep their order
    if report.refused:
        report.created = 0
    return report


def _new_batch(
    actor: Actor,
    target: ImportTarget,
    received: ReceivedFile,
    mode: ImportMode,
    columns: list[str],
    started_at: datetime,
) -> ImportBatch:
    return ImportBatch(
        kind=str(target.kind),
        mode=str(mode),
        file_name=received.file_name,
        media_type=received.media_type,
        file_format=str(received.file_format),
        # Without a sent-back `error` column: the report adds its own.
        columns=json.dumps([c for c in columns if c not in IGNORED_COLUMNS], ensure_ascii=False),
        stored=False,
        actor=actor.name,
        actor_role=str(actor.role),
        account_id=actor.account_id,
        started_at=started_at,
        finished_at=started_at,
    )


async def run_import(
    session: AsyncSession,
    actor: Actor,
    target: ImportTarget,
    received: ReceivedFile,
    *,
    mode: ImportMode,
    encoding: str = "utf-8",
    on_progress: Callable[[RowSource], None] | None = None,
) -> ImportOutcome:
    """Import one file; whole-file faults raise `InvalidInput` before anything is stored."""
    started_at = utcnow()
    with open_rows(received.path, received.file_format, target.layout, encoding=encoding) as source:
        batch = _new_batch(actor, target, received, mode, source.columns, started_at)
        # Written first on purpose: on SQLite this INSERT opens the real transaction, so the
        # ingest's SAVEPOINTs nest inside it; a savepoint opened first would commit on RELEASE.
        await repository.add_batch(session, batch)
        raw = await target.ingest(
            session,
            actor,
            _tracked(source, on_progress),
            mode=mode,
            source_label=received.file_name or f"{target.kind} import",
        )
        report = _merged(target.report_of(raw, mode), source.problems)
        if report.refused:
            await session.rollback()
            batch = _new_batch(actor, target, received, mode, source.columns, started_at)
        batch.created, batch.unchanged, batch.rejected = (
            report.created,
            report.unchanged,
            report.rejected,
        )
        batch.stored = not report.refused
        batch.finished_at = utcnow()
        batch_id = await repository.add_batch(session, batch)
        await _store_rejections(session, batch_id, report.errors, source)
    await audit.record(
        session,
        actor,
        f"{target.kind}.import",
        "import_batch",
        batch_id,
        {
            "file_name": received.file_name,
            "mode": str(mode),
            "created": report.created,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
            "stored": not report.refused,
        },
    )
    return ImportOutcome(batch=batch, report=report)


async def _store_rejections(
    session: AsyncSession, batch_id: int, errors: list[ErrorLike], source: RowSource
) -> None:
    """Each broken rule, the first of each line carrying the row as sent (read again)."""
    originals = source.raw_rows({error.line for error in errors}) if errors else iter(())
    pending: list[dict[str, Any]] = []
    current: tuple[int, dict[str, Any]] | None = None
    previous_line = None
    for error in errors:
        original = None
        if error.line != previous_line:
            while current is None or current[0] < error.line:
                current = next(originals, (error.line, {}))
            sent = current[1] if current[0] == error.line else {}
            original = json.dumps(sent, ensure_ascii=False, default=str)
            previous_line = error.line
        pending.append(
            {
                "batch_id": batch_id,
                "line": error.line,
                "field": error.field[:80] if error.field else None,
                "rule": error.rule[:60],
                "message": error.message,
                "original": original,
            }
        )
        if len(pending) >= INSERT_CHUNK:
            await repository.insert_rejections(session, pending)
            pending = []
    await repository.insert_rejections(session, pending)
