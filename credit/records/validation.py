"""Row validation shared by the single submission, corrections and every bulk import.

A row is first checked for shape (`shape.parse_row`: types, lengths, dates, amounts), then for
facts (`FactsChecker`: dates against today, the subject, the catalog item in force at the
decision date, the responsible persons). A chunk's lookups are made once, before its rows are
checked in a plain loop, so a million rows cost a few hundred queries, not millions. Each failure
names the field, the rule and a message; a row may have several.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.errors import DomainError
from credit.policy.vocabulary import Category, ResponsibilityTier, Severity
from credit.records import repository
from credit.records.publication import window_for
from credit.records.shape import RowFailure
from credit.records.terms import ItemTerms, TermsCache
from credit.subjects.kinds import registry as subject_kinds

KINDS_LIMIT = 200_000


def _date_failures(fields: FactsInput, today: date) -> list[RowFailure]:
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


class _PersonInput(Protocol):
    @property
    def subject_id(self) -> int: ...
    @property
    def tier(self) -> ResponsibilityTier: ...


class FactsInput(Protocol):
    """The facts a row states: `RecordFields`, a `RecordSubmission` or a `ParsedRecord`."""

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
    def responsible(self) -> Sequence[_PersonInput]: ...


class FactsChecker:
    """Checks records' facts against today, subjects and the catalog, one chunk at a time.

    `prepare` looks up what a chunk needs (subject kinds, the items in force at its decision
    dates); `verdict` then checks one row without touching the database, so a chunk is checked
    in a plain loop. Kinds of existing subjects and resolved items are kept for the checker's
    life (up to a bound), so a whole import asks for each of them about once.
    """

    def __init__(self, session: AsyncSession, *, today: date) -> None:
        self.session = session
        self.today = today
        self.terms = TermsCache(session)
        self._kinds: dict[int, str] = {}

    async def prepare(self, rows: Iterable[tuple[int, FactsInput]]) -> None:
        """Look up the subjects and items these rows name, for `verdict`."""
        wanted: set[int] = set()
        keys: set[tuple[str, date]] = set()
        for subject_id, fields in rows:
            wanted.add(subject_id)
            keys.add((fields.item_code, fields.decided_on))
            for person in fields.responsible:
                wanted.add(person.subject_id)
        if len(self._kinds) > KINDS_LIMIT:
            self._kinds.clear()
        # Only subjects found are kept: one registered meanwhile is found on its next mention.
        missing = wanted.difference(self._kinds)
        if missing:
            self._kinds.update(await repository.subject_kinds(self.session, missing))
        await self.terms.prepare(keys)

    def verdict(self, subject_id: int, fields: FactsInput) -> ItemTerms | list[RowFailure]:
        """The item the row records, or every rule it breaks; its rows were `prepare`d."""
        item = self.terms.resolved(fields.item_code, fields.decided_on)
        kind = self._kinds.get(subject_id)
        occurred_on = fields.occurred_on
        # The usual row breaks nothing: decide that with a few comparisons, and build the
        # failure messages only for a row that does break something.
        if (
            kind is not None
            and not fields.responsible
            and fields.decided_on <= self.today
            and (occurred_on is None or occurred_on <= fields.decided_on)
            and isinstance(item, ItemTerms)
            and kind in item.subject_kinds
            and (fields.severity is None or not item.favourable)
            and (fields.rule_code is not None or item.category != Category.MONITORING)
        ):
            return item
        failures = _date_failures(fields, self.today)
        if fields.responsible:
            failures += _responsible_failures(fields, self._kinds)
        if kind is None:
            failures.append(
                RowFailure("subject_id", "exists", f"subject {subject_id} does not exist")
            )
        if isinstance(item, DomainError):
            failures.append(
                RowFailure(item.field or "item_code", item.rule or "in_force", item.message)
            )
            return failures
        failures += _item_failures(item, fields, kind)
        return failures or item

    async def check(self, rows: Sequence[tuple[int, FactsInput]]) -> list[CheckedFacts]:
        """Each `(subject_id, fields)` checked; outcomes in the same order."""
        await self.prepare(rows)
        outcomes = []
        for subject_id, fields in rows:
            verdict = self.verdict(subject_id, fields)
            if isinstance(verdict, list):
                outcomes.append(CheckedFacts(failures=verdict))
            else:
                outcomes.append(CheckedFacts(facts=facts_of(subject_id, fields, verdict)))
        return outcomes


def _item_failures(terms: ItemTerms, fields: FactsInput, kind: str | None) -> list[RowFailure]:
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


def _responsible_failures(fields: FactsInput, kinds: Mapping[int, str]) -> list[RowFailure]:
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


def facts_of(subject_id: int, fields: FactsInput, terms: ItemTerms) -> dict[str, Any]:
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
