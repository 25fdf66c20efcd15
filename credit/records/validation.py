"""Row validation shared by the single submission, corrections and every bulk import.

A row is first checked for shape (`shape.parse_row`: types, lengths, dates, amounts), then for
facts (`FactsChecker.check`: dates against today, the subject, the catalog item in force at the
decision date, the responsible persons). Facts are checked a chunk at a time with one query per
kind of lookup, so a million rows cost a few thousand queries, not millions. Each failure names
the field, the rule and a message; a row may have several.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.errors import DomainError
from credit.policy.vocabulary import Category
from credit.records import repository
from credit.records.publication import window_for
from credit.records.schemas import RecordFields
from credit.records.shape import RowFailure
from credit.records.terms import ItemTerms, TermsCache
from credit.subjects.kinds import registry as subject_kinds


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
            if fields.responsible:
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
