"""Reading one raw row into a `ParsedRecord`: a fast path for plainly valid rows, pydantic else.

Pydantic costs about 20 µs a row, the largest single cost of a million-row import. Almost every
row of a real file is plainly valid: ids and amounts written the usual way, ISO dates, printable
text. Those are read here by hand. Any value the fast path is not certain about (an unusual
spelling, a blank, a wrong type, a value out of range) sends the whole row to the pydantic model,
so every accepted value is one the model accepts alike, and every failure is worded exactly as
the model words it (`shape.failures_of`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from credit.kernel.db import ID_MAX
from credit.policy.vocabulary import ResponsibilityTier, Severity
from credit.records.schemas import MAX_RESPONSIBLE, OPTIONAL_FIELDS, REQUIRED_FIELDS
from credit.records.shape import ParsedRecord, Person, RowFailure, parse_row

KNOWN_FIELDS = frozenset(REQUIRED_FIELDS + OPTIONAL_FIELDS)
MAX_ID_DIGITS = 18  # below ID_MAX whatever the digits
# [0-9], not \d: \d would also match other scripts' digits.
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# At most 13 whole digits and 2 decimals: inside the schema's 15 digits, 2 places.
AMOUNT_TEXT = re.compile(r"(?:0|[1-9][0-9]{0,12})(?:\.[0-9]{1,2})?")
PERSONS_TEXT = re.compile(
    r"[1-9][0-9]{0,17}:(?:general|important|principal)"
    r"(?:;[1-9][0-9]{0,17}:(?:general|important|principal))*"
)
# What the schema's PRINTABLE pattern refuses, plus lone surrogates (its regex engine refuses
# those too); only consulted when `str.isprintable` says no.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
SEVERITIES = {str(severity): severity for severity in Severity}
TIERS = {str(tier): tier for tier in ResponsibilityTier}
DATE_CACHE_LIMIT = 20_000


class _Unsure(Exception):
    """The fast path cannot vouch for a value; pydantic reads the row instead."""


_UNSURE = _Unsure()
_dates: dict[str, date] = {}


def _text(value: Any, max_length: int) -> str | None:
    if value is None:
        return None
    if value.__class__ is not str or len(value) > max_length:
        raise _UNSURE
    if not value or value[0].isspace() or value[-1].isspace():
        raise _UNSURE  # blanks and padding: the model's own stripping decides
    if not value.isprintable() and UNPRINTABLE.search(value):
        raise _UNSURE
    return value


def _required_text(value: Any, max_length: int) -> str:
    text = _text(value, max_length)
    if text is None:
        raise _UNSURE
    return text


def _id(value: Any) -> int:
    if value.__class__ is int:
        if 1 <= value <= ID_MAX:
            return int(value)
    elif (
        value.__class__ is str
        and 0 < len(value) <= MAX_ID_DIGITS
        and value.isascii()  # then isdigit means [0-9]
        and value.isdigit()
        and value[0] != "0"
    ):
        return int(value)
    raise _UNSURE


def _date(value: Any) -> date | None:
    if value is None or value.__class__ is date:
        return value
    if value.__class__ is not str:
        raise _UNSURE  # a datetime (Excel) has its own rules in the model
    found = _dates.get(value)
    if found is None:
        if not DATE_TEXT.fullmatch(value):
            raise _UNSURE
        try:
            found = date.fromisoformat(value)
        except ValueError:
            raise _UNSURE from None
        if len(_dates) >= DATE_CACHE_LIMIT:
            _dates.clear()
        _dates[value] = found
    return found


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    if value.__class__ is str:
        if AMOUNT_TEXT.fullmatch(value):
            return Decimal(value)
    elif value.__class__ is int:
        if 0 <= value < 10**13:
            return Decimal(value)
    elif value.__class__ is Decimal and AMOUNT_TEXT.fullmatch(str(value)):
        return Decimal(value)
    raise _UNSURE


def _severity(value: Any) -> Severity | None:
    if value is None:
        return None
    found = SEVERITIES.get(value) if value.__class__ is str else None
    if found is None:
        raise _UNSURE
    return found


def _persons(value: Any) -> list[Person]:
    if value is None:
        return []
    persons = []
    if value.__class__ is str:
        if not PERSONS_TEXT.fullmatch(value):
            raise _UNSURE
        for part in value.split(";"):
            subject_id, _, tier = part.partition(":")
            persons.append(Person(int(subject_id), TIERS[tier]))
    elif value.__class__ is list:
        for person in value:
            if person.__class__ is not dict or person.keys() != {"subject_id", "tier"}:
                raise _UNSURE
            tier = person["tier"]
            if tier.__class__ is not str or tier not in TIERS:
                raise _UNSURE
            persons.append(Person(_id(person["subject_id"]), TIERS[tier]))
    else:
        raise _UNSURE
    if len(persons) > MAX_RESPONSIBLE:
        raise _UNSURE
    return persons


def _plainly_valid(raw: Mapping[str, Any]) -> ParsedRecord:
    if not KNOWN_FIELDS.issuperset(raw):
        raise _UNSURE
    get = raw.get
    decided_on = _date(get("decided_on"))
    if decided_on is None:
        raise _UNSURE
    return ParsedRecord(
        subject_id=_id(get("subject_id")),
        item_code=_required_text(get("item_code"), 64).upper(),
        severity=_severity(get("severity")),
        occurred_on=_date(get("occurred_on")),
        decided_on=decided_on,
        document_no=_text(get("document_no"), 100),
        amount_involved=_amount(get("amount_involved")),
        fine_amount=_amount(get("fine_amount")),
        rule_code=_text(get("rule_code"), 40),
        responsible=_persons(get("responsible")),
        source_system=_required_text(get("source_system"), 40),
        source_ref=_required_text(get("source_ref"), 100),
    )


def read_row(raw: Mapping[str, Any]) -> tuple[ParsedRecord | None, list[RowFailure]]:
    """The row in its normalised shape, or every shape failure it has (as `parse_row` says)."""
    if isinstance(raw, dict):
        try:
            return _plainly_valid(raw), []
        except _Unsure:
            pass
    row, failures = parse_row(raw)
    return (None, failures) if row is None else (ParsedRecord.of(row), [])
