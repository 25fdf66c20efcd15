"""The kinds of file an import accepts and the domain ingest each one feeds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from credit.ingestion import layouts
from credit.ingestion.models import ImportKind, ImportMode
from credit.ingestion.report import ImportReport
from credit.ingestion.service import ImportTarget, Row
from credit.kernel.actor import Actor
from credit.metrics import service as metrics
from credit.records import ingest as records


async def _ingest_records(
    session: AsyncSession,
    actor: Actor,
    rows: Iterable[Row],
    *,
    mode: ImportMode,
    source_label: str | None,
) -> records.ImportReport:
    return await records.ingest(
        session,
        actor,
        rows,
        mode=cast(records.ImportMode, str(mode)),
        source_label=source_label or "records import",
    )


def _records_report(raw: records.ImportReport, mode: ImportMode) -> ImportReport:
    # The same error objects (line, field, rule, message), not copies: a large rejected file
    # should not cost its error list twice.
    return ImportReport(
        mode=mode,
        created=raw.created,
        unchanged=raw.unchanged,
        rejected=raw.rejected,
        errors=list(raw.errors),
    )


def _metrics_report(raw: ImportReport, mode: ImportMode) -> ImportReport:
    return raw


TARGETS: dict[ImportKind, ImportTarget] = {
    ImportKind.RECORDS: ImportTarget(
        kind=ImportKind.RECORDS,
        layout=layouts.RECORDS,
        ingest=_ingest_records,
        report_of=_records_report,
    ),
    ImportKind.METRICS: ImportTarget(
        kind=ImportKind.METRICS,
        layout=layouts.METRICS,
        ingest=metrics.ingest,
        report_of=_metrics_report,
    ),
}
