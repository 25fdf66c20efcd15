"""Verify one subject by an official identifier (DESIGN 9): which lists now, since and until
when, on what basis.

The identifier is checked as on registration (python-stdnum), so a mistyped code is refused
with the reason instead of answering "not listed"; the subject is then found through a unique
index (USCC, NHSA code) or the keyed hash of a resident ID, never by scanning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from credit.feeds import repository
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today
from credit.kernel.errors import DomainError, InvalidInput
from credit.kernel.statements import Statements
from credit.lists.feed import IN_FORCE
from credit.policy.vocabulary import ListName
from credit.subjects import identifiers as ids
from credit.subjects.kinds import registry
from credit.subjects.pii import PersonalIdentifiers

MAX_LENGTH = 40


class IdentifierType(StrEnum):
    USCC = "uscc"
    RESIDENT_ID = "resident_id"
    NHSA_CODE = "nhsa_code"


class BadIdentifier(DomainError):
    """400: the identifier cannot be any subject's (wrong layout or check digit)."""

    title = "Invalid identifier"


def _refused(error: InvalidInput, field_name: str = "id") -> BadIdentifier:
    return BadIdentifier(error.message, field=field_name, rule=error.rule)


def _nhsa(code: str) -> str:
    """An NHSA code valid for some kind's layout; the error of the closest layout otherwise."""
    errors: list[InvalidInput] = []
    for kind in registry().values():
        if kind.nhsa_layout is None:
            continue
        try:
            return ids.validate_nhsa_code(code, kind, field="id")
        except InvalidInput as error:
            errors.append(error)
    prefixed = [error for error in errors if error.rule != "prefix"]
    if prefixed:
        raise _refused(prefixed[0])
    prefixes = sorted(
        {p for kind in registry().values() if kind.nhsa_layout for p in kind.nhsa_layout.prefixes}
    )
    raise BadIdentifier(
        f"id: an NHSA code starts with {', '.join(prefixes)}",
        field="id",
        rule="prefix",
    )


def classify(
    value: str, declared: IdentifierType | None = None
) -> list[tuple[IdentifierType, str]]:
    """The identifier's type(s) and normalised value; refuses a code no subject can have.

    An 18-character code may read as both a resident ID and a USCC; both are then looked up.
    """
    if len(value) > MAX_LENGTH:
        raise BadIdentifier(f"id is at most {MAX_LENGTH} characters", field="id", rule="length")
    try:
        code = ids.compact(value, "id")
    except InvalidInput as error:
        raise _refused(error) from None
    if declared is IdentifierType.NHSA_CODE or (declared is None and code[0].isalpha()):
        return [(IdentifierType.NHSA_CODE, _nhsa(code))]
    candidates = [declared] if declared else [IdentifierType.RESIDENT_ID, IdentifierType.USCC]
    found: list[tuple[IdentifierType, str]] = []
    errors: dict[IdentifierType, InvalidInput] = {}
    for kind in candidates:
        try:
            if kind is IdentifierType.RESIDENT_ID:
                found.append((kind, ids.validate_resident_id(code, field="id")))
            else:
                found.append((kind, ids.validate_uscc(code, field="id")))
        except InvalidInput as error:
            errors[kind] = error
    if found:
        return found
    if len(errors) == 1:
        raise _refused(next(iter(errors.values())))
    resident, uscc = errors[IdentifierType.RESIDENT_ID], errors[IdentifierType.USCC]
    if len(code) != 18:
        raise BadIdentifier(
            f"id must be an 18-character USCC or resident ID, or an NHSA code (a letter "
            f"prefix, then digits); got {len(code)} characters",
            field="id",
            rule="length",
        )
    rule = "check_digit" if "check_digit" in (resident.rule, uscc.rule) else uscc.rule
    raise BadIdentifier(
        f"id is neither a valid resident ID ({resident.message}) nor a valid USCC ({uscc.message})",
        field="id",
        rule=rule,
    )


@dataclass(slots=True)
class Listing:
    list: str
    entry_id: int
    status: str
    since: date | None
    until: date | None
    basis: dict[str, Any]


@dataclass(slots=True)
class Verification:
    identifier_type: str
    found: bool
    subject: dict[str, Any] | None = None
    listed: bool = False
    lists: list[Listing] = field(default_factory=list)
    checked_on: date = field(default_factory=business_today)

    def payload(self) -> dict[str, Any]:
        """The answer as JSON-ready values (dates as ISO text)."""
        return {
            "identifier_type": self.identifier_type,
            "found": self.found,
            "subject": self.subject,
            "listed": self.listed,
            "lists": [
                {
                    "list": listing.list,
                    "entry_id": listing.entry_id,
                    "status": listing.status,
                    "since": _iso(listing.since),
                    "until": _iso(listing.until),
                    "basis": listing.basis,
                }
                for listing in self.lists
            ],
            "checked_on": self.checked_on.isoformat(),
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def visible_lists(actor: Actor) -> set[ListName]:
    """Public lists for everyone; the focus list only for regulators and `feed:focus` keys."""
    lists = {ListName.BLACK, ListName.RED}
    if actor.is_regulator or "feed:focus" in actor.scopes:
        lists.add(ListName.FOCUS)
    return lists


def wanted(actor: Actor) -> list[tuple[str, str]]:
    """(list, status in force) of each list the actor may see."""
    return [(str(name), str(IN_FORCE[name])) for name in sorted(visible_lists(actor))]


def _lookups(
    pii: PersonalIdentifiers, found: list[tuple[IdentifierType, str]]
) -> list[tuple[str, str]]:
    """(subject column, stored value) for each reading of the identifier."""
    columns = {
        IdentifierType.USCC: "uscc",
        IdentifierType.RESIDENT_ID: "resident_id_hash",
        IdentifierType.NHSA_CODE: "nhsa_code",
    }
    return [
        (
            columns[kind],
            pii.lookup_hash("resident_id", value) if kind is IdentifierType.RESIDENT_ID else value,
        )
        for kind, value in found
    ]


async def verify(
    statements: Statements,
    actor: Actor,
    pii: PersonalIdentifiers,
    identifier: str,
    declared: IdentifierType | None = None,
) -> Verification:
    """Whether the subject with this identifier is on a list the caller may see, and why.

    One query: the subject through its identifier's index, its entries in force and the
    documents they rest on."""
    found = classify(identifier, declared)
    lookups = _lookups(pii, found)
    today = business_today()
    rows = await repository.verification_rows(statements, lookups, wanted(actor), today)
    if not rows:
        return Verification(identifier_type=str(found[0][0]), found=False, checked_on=today)
    subject = rows[0]
    kind = next(
        (kind for (kind, _), (column, value) in zip(found, lookups, strict=True)
         if subject[column] == value),
        found[0][0],
    )  # fmt: skip
    plain = None
    if actor.sees_personal_identifiers and subject["resident_id_sealed"]:
        plain = pii.unseal(subject["resident_id_sealed"])
    card: dict[str, Any] = {name: subject[name] for name in repository.SUBJECT_CARD}
    if plain is not None:
        card["resident_id"] = plain
    lists = [
        Listing(
            list=row["list_name"],
            entry_id=row["entry_id"],
            status=row["status"],
            since=row["valid_from"],
            until=row["valid_until"],
            basis={
                "criterion_code": row["criterion_code"],
                "reasons": list(row["reasons"] or []),
                "legal_basis": row["legal_basis"],
                "records": _in_entry_order(row["record_ids"], row["documents"]),
            },
        )
        for row in rows
        if row["entry_id"] is not None and row["subject_id"] == subject["id"]
    ]
    return Verification(
        identifier_type=str(kind),
        found=True,
        subject=card,
        listed=bool(lists),
        lists=lists,
        checked_on=today,
    )


def _in_entry_order(
    record_ids: list[int] | None, documents: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The documents of the entry's records in the order the entry cites them."""
    by_record = {int(document["record_id"]): document for document in documents or []}
    return [by_record[int(r)] for r in record_ids or [] if int(r) in by_record]
