"""The import's fast row reader accepts, normalises and refuses as the record schema does."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from credit.records.reading import read_row
from credit.records.shape import ParsedRecord, parse_row, payload_digest

CSV_ROW: dict[str, Any] = {
    "subject_id": "654",
    "item_code": "enf-38-split-admission",
    "decided_on": "2023-08-30",
    "source_system": "bench",
    "source_ref": "R000000001",
    "occurred_on": "2023-07-27",
    "document_no": "湘医保罚〔2023〕1号",
    "amount_involved": "23763.3",
    "fine_amount": "0",
    "rule_code": None,
    "responsible": "1422:principal;1078:general",
}
# Each changes one value of CSV_ROW: the usual spellings, the unusual ones the schema still
# accepts, and the ones it refuses.
VARIANTS: list[dict[str, Any]] = [
    {},
    {"subject_id": 654},
    {"subject_id": "0654"},
    {"subject_id": " 654 "},
    {"subject_id": "６５４"},  # full-width digits
    {"subject_id": True},
    {"subject_id": "0"},
    {"subject_id": "9223372036854775808"},
    {"subject_id": None},
    {"item_code": "  enf-38-split-admission "},
    {"item_code": ""},
    {"item_code": "ENF\x0738"},
    {"item_code": "x" * 65},
    {"severity": "serious"},
    {"severity": "Serious"},
    {"severity": "severe"},
    {"decided_on": "2023-02-29"},
    {"decided_on": "2023-8-30"},
    {"decided_on": "20230830"},
    {"decided_on": date(2023, 8, 30)},
    {"decided_on": datetime(2023, 8, 30)},
    {"decided_on": datetime(2023, 8, 30, 12)},
    {"decided_on": 1693353600},
    {"occurred_on": ""},
    {"document_no": "   "},
    {"document_no": "第\u30001号"},  # an ideographic space inside: printable for the schema
    {"document_no": "a\u0085b"},
    {"document_no": "x" * 101},
    {"amount_involved": "1e3"},
    {"amount_involved": "1000.00"},
    {"amount_involved": "1000.001"},
    {"amount_involved": "1000.100"},
    {"amount_involved": "-1"},
    {"amount_involved": "00012.5"},
    {"amount_involved": "1234567890123.45"},
    {"amount_involved": "12345678901234.5"},
    {"amount_involved": 1000},
    {"amount_involved": Decimal("12.5")},
    {"amount_involved": Decimal("1E+3")},
    {"amount_involved": 12.5},
    {"amount_involved": "NaN"},
    {"rule_code": "RULE-7"},
    {"rule_code": 7},
    {"responsible": ""},
    {"responsible": "1422:主要；1078：一般"},
    {"responsible": "1422:Principal"},
    {"responsible": "1422:principal;"},
    {"responsible": "1422"},
    {"responsible": "1422:boss"},
    {"responsible": ";".join(f"{n}:general" for n in range(1, 52))},
    {"responsible": [{"subject_id": 1422, "tier": "principal"}]},
    {"responsible": [{"subject_id": "1422", "tier": " principal "}]},
    {"responsible": [{"subject_id": 1422, "tier": "principal", "x": 1}]},
    {"responsible": [{"subject_id": True, "tier": "principal"}]},
    {"responsible": [1422]},
    {"source_ref": None},
    {"source_system": "s" * 41},
    {"unknown_column": "1"},
]


@pytest.mark.parametrize("change", VARIANTS, ids=[repr(v)[:60] for v in VARIANTS])
def test_the_fast_reader_agrees_with_the_schema(change: dict[str, Any]) -> None:
    raw = {**CSV_ROW, **change}
    model, model_failures = parse_row(raw)
    parsed, failures = read_row(raw)
    if model is None:
        assert parsed is None
        assert failures == model_failures
    else:
        assert failures == []
        assert parsed == ParsedRecord.of(model)
        assert payload_digest(parsed) == payload_digest(model)


def test_a_row_that_is_not_an_object_is_refused_as_the_schema_refuses_it() -> None:
    assert read_row([1, 2]) == (None, parse_row([1, 2])[1])  # type: ignore[arg-type]
