"""Ingesting subject metrics, with the same idempotency rules as records.

`(source_system, source_ref)` names one metrics row: sending it again with the same figures
changes nothing and is counted `unchanged`; other figures under the same reference are a
conflict. A source system reports a subject's period once: a second reference for the same
subject and period is refused too, naming the reference that holds it. Rows are handled a chunk
at a time with one query per kind of lookup and one bulk insert, so memory stays flat however
long the file; rows inserted by earlier chunks are seen by later ones through the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.ingestion.models import ImportMode
from credit.ingestion.report import ImportReport
from credit.kernel import knowledge
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today, utcnow
from credit.metrics import repository
from credit.metrics.validation import FieldError, MetricValues, check_row

CHUNK = 1000
Row = tuple[int, Mapping[str, Any]]


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


async def ingest(
    session: AsyncSession,
    actor: Actor,
    rows: Iterable[Row],
    *,
    mode: ImportMode = ImportMode.PARTIAL,
    source_label: str | None = None,
) -> ImportReport:
    """Validate and store metrics rows; in all_or_nothing mode any bad row stores none.

    All_or_nothing runs inside a savepoint that is rolled back when a row is bad, so the
    caller's transaction holds none of it; every row is still checked for a complete report.
    """
    today = business_today()
    report = ImportReport(mode=mode)
    savepoint = await session.begin_nested() if mode == ImportMode.ALL_OR_NOTHING else None
    for chunk in _chunks(rows):
        checked: list[tuple[int, MetricValues]] = []
        for line, row in chunk:
            outcome = check_row(row, today)
            if isinstance(outcome, MetricValues):
                checked.append((line, outcome))
            else:
                report.reject(line, [(e.field, e.rule, e.message) for e in outcome])
        await _store_chunk(session, checked, report)
    if savepoint is not None:
        if report.refused:
            await savepoint.rollback()
            report.created = 0
            return report
        await savepoint.commit()
    if not report.created:
        return report
    await audit.record(
        session,
        actor,
        "metrics.import",
        "subject_metric",
        source_label or "import",
        {"created": report.created, "unchanged": report.unchanged, "rejected": report.rejected},
    )
    return report


async def _store_chunk(
    session: AsyncSession, checked: list[tuple[int, MetricValues]], report: ImportReport
) -> None:
    subjects = await repository.existing_subjects(session, {v.subject_id for _, v in checked})
    stored = await repository.by_reference(
        session, {(v.source_system, v.source_ref) for _, v in checked}
    )
    holders = await repository.by_period(
        session, {(v.subject_id, v.period, v.source_system) for _, v in checked}
    )
    await knowledge.stamping(session)
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    for line, values in checked:
        reference = (values.source_system, values.source_ref)
        errors = _conflicts(values, subjects, stored.get(reference), holders)
        if errors:
            report.reject(line, [(e.field, e.rule, e.message) for e in errors])
            continue
        if reference in stored:
            report.unchanged += 1
            continue
        # Later rows of this chunk see this one as stored, exactly as later chunks will.
        stored[reference] = values.payload()
        holders[(values.subject_id, values.period, values.source_system)] = values.source_ref
        new_rows.append(
            {**values.columns(), "period_kind": str(values.period_kind), "recorded_at": now}
        )
        report.created += 1
    await repository.insert_metrics(session, new_rows)


def _conflicts(
    values: MetricValues,
    subjects: set[int],
    stored_payload: tuple[Any, ...] | None,
    holders: Mapping[tuple[int, str, str], str],
) -> list[FieldError]:
    if values.subject_id not in subjects:
        return [FieldError("subject_id", "exists", f"subject {values.subject_id} does not exist")]
    if stored_payload is not None:
        if stored_payload != values.payload():
            return [
                FieldError(
                    "source_ref",
                    "conflict",
                    f"{values.source_system}/{values.source_ref} is already stored with other "
                    "figures; an import never overwrites stored metrics",
                )
            ]
        return []
    holder = holders.get((values.subject_id, values.period, values.source_system))
    if holder is not None:
        return [
            FieldError(
                "period",
                "once_per_period",
                f"{values.source_system} already reported subject {values.subject_id} for "
                f"{values.period} under source_ref {holder}",
            )
        ]
    return []
