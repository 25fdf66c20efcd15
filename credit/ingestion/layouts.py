"""The columns of record and metrics files, and how list-valued cells are written in CSV/Excel.

Record files (NDJSON objects carry the same keys):

    subject_id, item_code, decided_on, source_system, source_ref      required
    severity, occurred_on, document_no, amount_involved,
    fine_amount, rule_code, responsible                               optional

Dates are ISO (`2026-03-31`); amounts are yuan with at most two decimals; an empty cell is a
value not given. In CSV and Excel the `responsible` cell lists the responsible persons as
`subject_id:tier` pairs separated by `;`, e.g. `20231:principal;20232:important`. Tiers are
`general`, `important`, `principal` (一般 / 重要 / 主要 责任 are read as the same); full-width
`；` and `：` are accepted. NDJSON sends the list itself:
`"responsible": [{"subject_id": 20231, "tier": "principal"}]`.

Metrics files: see `credit.metrics.validation` for the columns and their conventions.
"""

from __future__ import annotations

from typing import Any

from credit.ingestion.formats import Layout
from credit.metrics import validation as metrics
from credit.records import schemas


def format_responsible(value: Any) -> str:
    """The `subject_id:tier;…` cell text the record schema reads back; other shapes as sent."""
    if isinstance(value, list) and all(
        isinstance(person, dict) and {"subject_id", "tier"} <= person.keys() for person in value
    ):
        return ";".join(f"{person['subject_id']}:{person['tier']}" for person in value)
    return str(value)


# The responsible cell's text form is read by the record schema itself (one shape for every
# channel), so no cell parser is needed here.
RECORDS = Layout(required=schemas.REQUIRED_FIELDS, optional=schemas.OPTIONAL_FIELDS)

METRICS = Layout(
    required=(*metrics.REQUIRED, *metrics.SOURCE),
    optional=metrics.OPTIONAL,
)
