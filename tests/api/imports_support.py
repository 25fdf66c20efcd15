"""Shared set-up for the import tests: the default policy packs, subjects, file builders."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook

from api.db import Database
from credit.ingestion.formats import XLSX_MEDIA_TYPE
from credit.ingestion.layouts import METRICS, RECORDS
from credit.kernel.actor import SYSTEM_ACTOR
from credit.policy import service as policy
from credit.subjects import service as subjects
from credit.subjects.models import SubjectCreate

RECORD_COLUMNS = list(RECORDS.columns)
METRIC_COLUMNS = list(METRICS.columns)
NDJSON = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv"}
XLSX = {"Content-Type": XLSX_MEDIA_TYPE}


async def seed(db: Database) -> int:
    """The default packs active and one hospital; the hospital's id."""
    async with db.transaction() as session:
        await policy.ensure_defaults(session)
        hospital = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(
                kind="medical_institution",
                name="长沙市第一人民医院",
                uscc="12100000400000624D",
                nhsa_code="H43010200001",
                region_code="430102",
            ),
        )
    assert hospital.id is not None
    return hospital.id


def record(subject_id: int, ref: str, **changes: Any) -> dict[str, Any]:
    """A valid record row; `changes` override or (with None) blank its fields."""
    row: dict[str, Any] = {
        "subject_id": subject_id,
        "item_code": "ENF-38-SPLIT-ADMISSION",
        "decided_on": "2025-03-01",
        "occurred_on": "2025-01-15",
        "document_no": "长医保罚〔2025〕3号",
        "amount_involved": "12345.60",
        "fine_amount": "24691.20",
        "source_system": "hunan-enforcement",
        "source_ref": ref,
    }
    row.update(changes)
    return row


def metric(subject_id: int, ref: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "subject_id": subject_id,
        "period": "2026Q1",
        "discharges": 1200,
        "total_cost": "9600000.00",
        "fund_payment": "6720000.00",
        "refusal_rate": "1.5%",
        "suspect_rate": "0.042",
        "source_system": "hunan-settlement",
        "source_ref": ref,
    }
    row.update(changes)
    return row


def ndjson(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def csv_text(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row[name] for name in columns])
    return buffer.getvalue()


def xlsx(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(name) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_csv(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a downloaded CSV; the BOM must be there."""
    assert content.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows
