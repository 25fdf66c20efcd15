"""The shape of a record row: types, lengths, dates and amounts, and its idempotency fingerprint.

`parse_row` turns a raw mapping (JSON object, CSV or Excel row) into a `RecordSubmission` or
lists every shape failure; failures speak the API's rule vocabulary (`required`, `date`,
`max_2_decimal_places` …), never pydantic's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from pydantic import ValidationError

from credit.kernel.errors import InvalidInput
from credit.policy.vocabulary import ResponsibilityTier, Severity
from credit.records.schemas import RecordSubmission

CENT = Decimal("0.01")
FIELD_SEPARATOR, ABSENT = "\x1f", "\x00"
# Pydantic's error types in the rule vocabulary of this API; a custom type is already a rule.
RULE_OF_ERROR_TYPE = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "int_type": "integer",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_from_datetime_inexact": "date",
    "date_type": "date",
    "decimal_parsing": "decimal",
    "decimal_type": "decimal",
    "finite_number": "decimal",
    "decimal_max_places": "max_2_decimal_places",
    "decimal_max_digits": "too_large",
    "decimal_whole_digits": "too_large",
    "string_too_long": "max_length",
    "string_too_short": "required",
    "string_type": "text",
    "string_pattern_mismatch": "printable_text",
    "string_unicode": "printable_text",
    "enum": "one_of",
    "list_type": "list",
    "too_long": "max_items",
    "model_type": "object",
    "model_attributes_type": "object",
    "dict_type": "object",
}
RANGE_ERRORS = {"greater_than_equal", "less_than_equal"}
MESSAGES = {
    "required": "is required",
    "integer": "must be a whole number",
    "date": "must be a real date written YYYY-MM-DD",
    "decimal": "must be an amount in yuan such as 1234.50",
    "max_2_decimal_places": "must have at most 2 decimal places (fen)",
    "non_negative": "must not be negative",
    "id_range": "must be a positive id",
    "printable_text": "must not contain control characters",
}


@dataclass(frozen=True, slots=True)
class RowFailure:
    """One broken rule of one row."""

    field: str
    rule: str
    message: str


@dataclass(slots=True)
class Person:
    """A responsible person of a parsed row."""

    subject_id: int
    tier: ResponsibilityTier


@dataclass(slots=True)
class ParsedRecord:
    """A row in its normalised shape, as `RecordSubmission` has it, without pydantic's cost."""

    subject_id: int
    item_code: str
    severity: Severity | None
    occurred_on: date | None
    decided_on: date
    document_no: str | None
    amount_involved: Decimal | None
    fine_amount: Decimal | None
    rule_code: str | None
    responsible: list[Person]
    source_system: str
    source_ref: str

    @classmethod
    def of(cls, row: RecordSubmission) -> ParsedRecord:
        return cls(
            row.subject_id,
            row.item_code,
            row.severity,
            row.occurred_on,
            row.decided_on,
            row.document_no,
            row.amount_involved,
            row.fine_amount,
            row.rule_code,
            [Person(person.subject_id, person.tier) for person in row.responsible],
            row.source_system,
            row.source_ref,
        )


class _PersonLike(Protocol):
    @property
    def subject_id(self) -> int: ...
    @property
    def tier(self) -> ResponsibilityTier: ...


class SubmittedRecord(Protocol):
    """A `RecordSubmission` or a `ParsedRecord`: what the idempotency fingerprint reads."""

    @property
    def subject_id(self) -> int: ...
    @property
    def item_code(self) -> str: ...
    @property
    def severity(self) -> Severity | None: ...
    @property
    def occurred_on(self) -> date | None: ...
    @property
    def decided_on(self) -> date: ...
    @property
    def document_no(self) -> str | None: ...
    @property
    def amount_involved(self) -> Decimal | None: ...
    @property
    def fine_amount(self) -> Decimal | None: ...
    @property
    def rule_code(self) -> str | None: ...
    @property
    def responsible(self) -> Sequence[_PersonLike]: ...
    @property
    def source_system(self) -> str: ...
    @property
    def source_ref(self) -> str: ...


def _subject_id_of(person: _PersonLike) -> int:
    return person.subject_id


class RowRejected(InvalidInput):
    """A record that breaks rules; `failures` lists every one, the first also as field/rule."""

    def __init__(self, failures: Sequence[RowFailure]) -> None:
        self.failures = list(failures)
        first = self.failures[0]
        super().__init__(
            "; ".join(failure.message for failure in self.failures),
            field=first.field,
            rule=first.rule,
        )


def field_path(location: Sequence[int | str]) -> str:
    """`('responsible', 0, 'tier')` → `responsible[0].tier`."""
    path = ""
    for part in location:
        path = f"{path}[{part}]" if isinstance(part, int) else f"{path}.{part}" if path else part
    return path or "row"


def failures_of(error: ValidationError) -> list[RowFailure]:
    """Each pydantic error as a failure naming the field and the rule."""
    failures = []
    for item in error.errors(include_url=False):
        path = field_path(item["loc"])
        kind = item["type"]
        if item.get("input", ...) is None:
            rule = "required"  # null or a blank cell where a value is needed
        elif kind in RANGE_ERRORS:
            rule = "id_range" if path.endswith("subject_id") else "non_negative"
        else:
            rule = RULE_OF_ERROR_TYPE.get(kind, kind)
        detail = MESSAGES.get(rule, str(item["msg"]))
        if rule == "unknown_field":
            detail = "is not a field of a record"
        failures.append(RowFailure(path, rule, f"{path} {detail}"))
    return failures


def parse_row(raw: Mapping[str, Any]) -> tuple[RecordSubmission | None, list[RowFailure]]:
    """The row in its normalised shape, or every shape failure it has."""
    try:
        return RecordSubmission.model_validate(raw), []
    except ValidationError as error:
        return None, failures_of(error)


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


def normalised_payload(row: RecordSubmission) -> dict[str, Any]:
    """The row as stored and compared: equal payloads written differently come out equal."""
    return {
        "subject_id": row.subject_id,
        "item_code": row.item_code,
        "severity": row.severity,
        "occurred_on": row.occurred_on.isoformat() if row.occurred_on else None,
        "decided_on": row.decided_on.isoformat(),
        "document_no": row.document_no,
        "amount_involved": _money_text(row.amount_involved),
        "fine_amount": _money_text(row.fine_amount),
        "rule_code": row.rule_code,
        "responsible": sorted(
            ([person.subject_id, str(person.tier)] for person in row.responsible),
        ),
        "source_system": row.source_system,
        "source_ref": row.source_ref,
    }


def payload_digest(row: SubmittedRecord) -> str:
    """SHA-256 of the normalised payload, the idempotency fingerprint of a source reference."""
    # Fields joined by a control character, which validated text never holds, so the join is
    # unambiguous; this runs once per imported row, where JSON encoding would cost three times
    # as much. The text must never change: stored digests are compared with it.
    responsible = (
        ";".join(
            f"{person.subject_id}:{person.tier.value}"
            for person in sorted(row.responsible, key=_subject_id_of)
        )
        if row.responsible
        else ""
    )
    amount, fine = row.amount_involved, row.fine_amount
    parts = (
        str(row.subject_id),
        row.item_code,
        row.severity.value if row.severity else ABSENT,
        row.occurred_on.isoformat() if row.occurred_on else ABSENT,
        row.decided_on.isoformat(),
        row.document_no or ABSENT,
        ABSENT if amount is None else str(amount.quantize(CENT)),
        ABSENT if fine is None else str(fine.quantize(CENT)),
        row.rule_code or ABSENT,
        responsible,
        row.source_system,
        row.source_ref,
    )
    return hashlib.sha256(FIELD_SEPARATOR.join(parts).encode()).hexdigest()
