"""Row validation shared by the single submission, corrections and every bulk import.

A row is first checked for shape (`parse_row`: types, lengths, dates, amounts), then for facts
(`FactsChecker.check`: dates against today, the subject, the catalog item in force at the decision
date, the responsible persons). Facts are checked a chunk at a time with one query per kind of
lookup, so a million rows cost a few thousand queries, not millions. Each failure names the field,
the rule and a message; a row may have several.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.errors import DomainError, InvalidInput
from credit.policy.vocabulary import Category
from credit.records import repository
from credit.records.publication import window_for
from credit.records.schemas import RecordFields, RecordSubmission
from credit.records.terms import ItemTerms, TermsCache
from credit.subjects.kinds import registry as subject_kinds

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
        if kind in RANGE_ERRORS:
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


def payload_digest(row: RecordSubmission) -> str:
    """SHA-256 of the normalised payload, the idempotency fingerprint of a source reference."""
    # Fields joined by a control character, which validated text never holds, so the join is
    # unambiguous; this runs once per imported row, where JSON encoding would cost three times
    # as much.
    responsible = ";".join(
        f"{person.subject_id}:{person.tier.value}"
        for person in sorted(row.responsible, key=lambda person: person.subject_id)
    )
    parts = (
        str(row.subject_id),
        row.item_code,
        row.severity.value if row.severity else ABSENT,
        row.occurred_on.isoformat() if row.occurred_on else ABSENT,
        row.decided_on.isoformat(),
        row.document_no or ABSENT,
        _money_text(row.amount_involved) or ABSENT,
        _money_text(row.fine_amount) or ABSENT,
        row.rule_code or ABSENT,
        responsible,
        row.source_system,
        row.source_ref,
    )
    return hashlib.sha256(FIELD_SEPARATOR.join(parts).encode()).hexdigest()


def _date_failures(fields: RecordFields, today: date) -> list[RowFailure]:
    failures = []
    if fields.decided_on > today:
        failures.append(
            RowFailure(
                "decided_on",
                "not_in_future",
                f"decided_on {fields.decided_on} is after today {today}",
            )
        )
    if fields.occurred_on is not None:
        if fields.occurred_on > today:
            failures.append(
                RowFailure(
                    "occurred_on",
                    "not_in_future",
                    f"occurred_on {fields.occurred_on} is after today {today}",
                )
            )
        if fields.occurred_on > fields.decided_on:
            failures.append(
                RowFailure(
                    "occurred_on",
                    "occurred_before_decision",
                    f"occurred_on {fields.occurred_on} is after decided_on {fields.decided_on}",
                )
            )
    return failures


@dataclass(slots=True)
class CheckedFacts:
    """The outcome for one row: the facts to store, or why not."""

    facts: dict[str, Any] | None = None
    failures: list[RowFailure] = field(default_factory=list)


class FactsChecker:
    """Checks records' facts against today, subjects and the catalog, one chunk at a time.

    Items are cached per (regime, code) for the checker's life, so a whole import resolves each
    catalog item once.
    """

    def __init__(self, session: AsyncSession, *, today: date) -> None:
        self.session = session
        self.today = today
        self.terms = TermsCache(session)

    async def check(self, rows: Sequence[tuple[int, RecordFields]]) -> list[CheckedFacts]:
        """Each `(subject_id, fields)` checked; outcomes in the same order."""
        wanted = {subject_id for subject_id, _ in rows}
        for _, fields in rows:
            wanted.update(person.subject_id for person in fields.responsible)
        kinds = await repository.subject_kinds(self.session, wanted)
        # Each distinct (item, decision date) is resolved once; the row loop below stays sync.
        items: dict[tuple[str, date], ItemTerms | DomainError] = {}
        for _, fields in rows:
            key = (fields.item_code, fields.decided_on)
            if key not in items:
                try:
                    items[key] = await self.terms.item(*key)
                except DomainError as error:
                    items[key] = error
        return [
            self._check_one(subject_id, fields, kinds, items[fields.item_code, fields.decided_on])
            for subject_id, fields in rows
        ]

    def _check_one(
        self,
        subject_id: int,
        fields: RecordFields,
        kinds: Mapping[int, str],
        item: ItemTerms | DomainError,
    ) -> CheckedFacts:
        failures = _date_failures(fields, self.today)
        if fields.responsible:
            failures += _responsible_failures(fields, kinds)
        kind = kinds.get(subject_id)
        if kind is None:
            failures.append(
                RowFailure("subject_id", "exists", f"subject {subject_id} does not exist")
            )
        if isinstance(item, DomainError):
            failures.append(
                RowFailure(item.field or "item_code", item.rule or "in_force", item.message)
            )
            return CheckedFacts(failures=failures)
        failures += _item_failures(item, fields, kind)
        if failures:
            return CheckedFacts(failures=failures)
        return CheckedFacts(facts=facts_of(subject_id, fields, item))


def _item_failures(terms: ItemTerms, fields: RecordFields, kind: str | None) -> list[RowFailure]:
    failures = []
    if kind is not None and kind not in terms.subject_kinds:
        allowed = ", ".join(sorted(terms.subject_kinds))
        failures.append(
            RowFailure(
                "item_code",
                "fits_subject_kind",
                f"item {terms.code} applies to {allowed}, not to a {kind}",
            )
        )
    if fields.severity is not None and terms.favourable:
        failures.append(
            RowFailure(
                "severity",
                "no_severity_for_favourable",
                f"{terms.category} information has no severity; leave severity out",
            )
        )
    if terms.category == Category.MONITORING and fields.rule_code is None:
        failures.append(
            RowFailure(
                "rule_code",
                "required_for_monitoring",
                "a monitoring record names the monitoring rule it violated",
            )
        )
    return failures


def _responsible_failures(fields: RecordFields, kinds: Mapping[int, str]) -> list[RowFailure]:
    failures = []
    seen: set[int] = set()
    registry = subject_kinds()
    for index, person in enumerate(fields.responsible):
        at = f"responsible[{index}].subject_id"
        if person.subject_id in seen:
            failures.append(RowFailure(at, "unique", f"person {person.subject_id} is listed twice"))
        seen.add(person.subject_id)
        kind = kinds.get(person.subject_id)
        if kind is None:
            failures.append(RowFailure(at, "exists", f"subject {person.subject_id} does not exist"))
        elif not registry[kind].practises:
            failures.append(
                RowFailure(
                    at,
                    "person_kind",
                    f"subject {person.subject_id} is a {kind}; responsible persons are staff "
                    "such as physicians and pharmacists",
                )
            )
    return failures


def facts_of(subject_id: int, fields: RecordFields, terms: ItemTerms) -> dict[str, Any]:
    """The columns a record's facts fill, with category, basis and publication from the item."""
    severity = fields.severity.value if fields.severity else terms.severity
    window = window_for(terms.publication(severity), fields.decided_on)
    responsible = (
        [
            {"subject_id": person.subject_id, "tier": person.tier.value}
            for person in sorted(fields.responsible, key=lambda person: person.subject_id)
        ]
        if fields.responsible
        else []
    )
    return {
        "subject_id": subject_id,
        "item_code": terms.code,
        "pack_version_id": terms.pack_version_id,
        "category": terms.category,
        "severity": severity,
        "occurred_on": fields.occurred_on,
        "decided_on": fields.decided_on,
        "document_no": fields.document_no,
        "legal_basis": terms.legal_basis,
        # Money stores fen, so 1E+3 and 1000.00 are stored alike.
        "amount_involved": fields.amount_involved,
        "fine_amount": fields.fine_amount,
        "rule_code": fields.rule_code,
        "responsible": responsible,
        "published": window.published,
        "publish_from": window.publish_from,
        "publish_until": window.publish_until,
    }
