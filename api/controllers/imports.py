"""Bulk imports of records and metrics from NDJSON, CSV or Excel, and their reports.

`POST …/import` takes the file as the request body (its media type names the format) or as the
multipart field `file`, streams it to disk, imports it and answers the counts with the first
errors. Partial mode answers 200; all_or_nothing answers 422 with the same report when a row is
bad, and nothing is stored. Every import keeps a batch whose full rejected rows download as CSV.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from api import uploads
from api.db import Database
from api.deps import AppSettings, CurrentActor, DbSession
from api.errors import problem
from api.guards import officers, regulators
from api.settings import Settings
from credit.ingestion import repository, service
from credit.ingestion.formats import detect_format
from credit.ingestion.models import ImportBatch, ImportBatchPublic, ImportKind, ImportMode, RowError
from credit.ingestion.rejected import lines as rejected_lines
from credit.ingestion.targets import TARGETS
from credit.ingestion.textfiles import codec_for
from credit.kernel.actor import Actor
from credit.kernel.errors import NotFound

ANSWER_ERRORS = 1000
"""Errors listed in an answer; the rest are in the batch's rejected-rows CSV."""

Mode = Annotated[
    ImportMode,
    Parameter(description="partial stores the good rows; all_or_nothing stores none if any is bad"),
]
Encoding = Annotated[
    str | None,
    Parameter(
        max_length=20,
        description="text encoding of a CSV/NDJSON file: utf-8 or gb18030 (also reads GBK); "
        "default: the charset of the Content-Type, else utf-8",
    ),
]


def _report_path(kind: ImportKind, batch_id: int) -> str:
    return f"/api/v1/{kind}/imports/{batch_id}/rejected.csv"


async def _import(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    kind: ImportKind,
    mode: ImportMode,
    encoding: str | None,
) -> Response[Any]:
    if encoding is not None:
        codec_for(encoding)  # an unknown encoding is refused before the body is read
    upload = await uploads.receive(
        request, directory=settings.var_dir / "uploads", limit=settings.import_max_bytes
    )
    try:
        encoding = encoding or upload.charset or "utf-8"
        received = service.ReceivedFile(
            path=upload.path,
            file_format=detect_format(
                upload.path, media_type=upload.media_type, filename=upload.file_name
            ),
            file_name=upload.file_name,
            media_type=upload.media_type,
        )
        outcome = await service.run_import(
            session, actor, TARGETS[kind], received, mode=mode, encoding=encoding
        )
    finally:
        uploads.discard(upload.path)
    report, batch = outcome.report, outcome.batch
    assert batch.id is not None
    errors = [
        {"line": e.line, "field": e.field, "rule": e.rule, "message": e.message}
        for e in report.errors[:ANSWER_ERRORS]
    ]
    answer: dict[str, Any] = {
        "import_id": batch.id,
        "mode": str(mode),
        "created": report.created,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "stored": not report.refused,
        "errors_total": len(report.errors),
        "errors_truncated": len(report.errors) > ANSWER_ERRORS,
        "rejected_csv": _report_path(kind, batch.id) if report.rejected else None,
    }
    if report.refused:
        detail = (
            f"{report.rejected} row(s) break rules; all_or_nothing stored none of the file "
            f"(first at line {report.errors[0].line}: {report.errors[0].message})"
        )
        return problem(422, "Import refused", detail, errors=errors, **answer)
    return Response({**answer, "errors": errors}, status_code=200)


async def _batch_view(session: AsyncSession, kind: ImportKind, import_id: int) -> ImportBatchPublic:
    batch = await _batch(session, kind, import_id)
    assert batch.id is not None
    shown, total = await repository.first_rejections(session, batch.id, ANSWER_ERRORS)
    return ImportBatchPublic(
        **batch.model_dump(exclude={"columns", "actor_role", "account_id"}),
        errors=[
            RowError(line=r.line, field=r.field, rule=r.rule, message=r.message) for r in shown
        ],
        errors_total=total,
        errors_truncated=total > len(shown),
        rejected_csv=_report_path(kind, batch.id) if batch.rejected else None,
    )


async def _batch(session: AsyncSession, kind: ImportKind, import_id: int) -> ImportBatch:
    batch = await repository.batch(session, import_id, str(kind))
    if batch is None:
        raise NotFound(f"there is no {kind} import {import_id}", field="import_id", rule="exists")
    return batch


async def _rejected_csv(
    session: AsyncSession, state: State, kind: ImportKind, import_id: int
) -> Stream:
    batch = await _batch(session, kind, import_id)
    database: Database = state.database
    columns: list[str] = json.loads(batch.columns)

    async def body() -> AsyncIterator[str]:
        # Its own session: the request's closes when the handler returns, before streaming.
        async with database.sessionmaker() as stream_session:
            async for text in rejected_lines(
                columns, repository.rejections(stream_session, import_id)
            ):
                yield text

    return Stream(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{kind}-import-{import_id}-rejected.csv"'
        },
    )


class RecordImportController(Controller):
    path = "/records"
    tags = ["records"]

    @post("/import", guards=[officers], request_max_body_size=None, status_code=200)
    async def import_records(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        mode: Mode = ImportMode.PARTIAL,
        encoding: Encoding = None,
    ) -> Response[Any]:
        """Import credit records from NDJSON, CSV (UTF-8, BOM optional) or Excel .xlsx.

        Send the file as the body (`application/x-ndjson`, `text/csv` or the xlsx media type) or
        as the multipart field `file`. Columns: subject_id, item_code, decided_on, source_system,
        source_ref (required); severity, occurred_on, document_no, amount_involved, fine_amount,
        rule_code, responsible. A CSV/Excel `responsible` cell reads
        `20231:principal;20232:important`. Answers created / unchanged / rejected with the first
        1,000 errors; the full rejected rows download from `rejected_csv`. all_or_nothing answers
        422 and stores nothing when any row is bad.
        """
        return await _import(
            request, db_session, actor, settings, ImportKind.RECORDS, mode, encoding
        )

    @get("/imports/{import_id:int}", guards=[regulators])
    async def read_record_import(
        self, db_session: DbSession, import_id: FromPath[int]
    ) -> ImportBatchPublic:
        """A records import: who, when, counts, and the first errors."""
        return await _batch_view(db_session, ImportKind.RECORDS, import_id)

    @get("/imports/{import_id:int}/rejected.csv", guards=[regulators])
    async def record_import_rejected(
        self, db_session: DbSession, state: State, import_id: FromPath[int]
    ) -> Stream:
        """Every rejected row as sent plus an `error` column (UTF-8 with BOM)."""
        return await _rejected_csv(db_session, state, ImportKind.RECORDS, import_id)


class MetricImportController(Controller):
    path = "/metrics"
    tags = ["metrics"]

    @post("/import", guards=[officers], request_max_body_size=None, status_code=200)
    async def import_metrics(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        mode: Mode = ImportMode.PARTIAL,
        encoding: Encoding = None,
    ) -> Response[Any]:
        """Import periodic subject metrics from NDJSON, CSV or Excel .xlsx.

        Columns: subject_id, period (`2026-03`, `2026Q1` or `2026`), discharges, total_cost,
        fund_payment, source_system, source_ref (required); average_cost, refusal_rate,
        suspect_rate. Money is yuan ≥ 0; rates are fractions 0–1 or percentages written `3.5%`.
        A source system reports a subject's period once; the same row again is `unchanged`.
        """
        return await _import(
            request, db_session, actor, settings, ImportKind.METRICS, mode, encoding
        )

    @get("/imports/{import_id:int}", guards=[regulators])
    async def read_metric_import(
        self, db_session: DbSession, import_id: FromPath[int]
    ) -> ImportBatchPublic:
        """A metrics import: who, when, counts, and the first errors."""
        return await _batch_view(db_session, ImportKind.METRICS, import_id)

    @get("/imports/{import_id:int}/rejected.csv", guards=[regulators])
    async def metric_import_rejected(
        self, db_session: DbSession, state: State, import_id: FromPath[int]
    ) -> Stream:
        """Every rejected metrics row as sent plus an `error` column (UTF-8 with BOM)."""
        return await _rejected_csv(db_session, state, ImportKind.METRICS, import_id)
