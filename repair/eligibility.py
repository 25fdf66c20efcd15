"""Whether a record's publication may end early, or a subject may leave a list (DESIGN 7).

Every condition comes from the policy pack: the catalog item's repairability and earliest repair
(the minimum publication period of its tier or item), the blacklist's `repair_after_years`, and
the remedies' clean months, interval and limit. Each condition is named with its state — met,
unmet (with the date it will be met where there is one), or a document still to upload (the
signed commitment, proof that a fine was paid or funds returned) — so a subject sees all of them
before filing, and an officer sees them again before accepting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.catalog import repository as catalog
from credit.kernel.errors import NotFound
from credit.lists import repository as lists
from credit.lists.models import EntryStatus, ListEntry
from credit.policy.regime import national_rules
from credit.policy.remedies import RepairRules
from credit.policy.vocabulary import FAVOURABLE_CATEGORIES, EarliestRepair, ListName
from credit.records import repository as records
from credit.records.models import RecordRevision, RecordStatus
from credit.records.publication import add_months, minimum_until
from credit.records.terms import TermsCache
from repair import repository
from repair.models import EvidencePurpose, OwnerKind, Repair, RepairTarget

MET, UNMET, DOCUMENT = "met", "unmet", "document_required"
ONE_DAY = timedelta(days=1)
NEGATIVE_STATUSES = (
    RecordStatus.ACTIVE,
    RecordStatus.CORRECTED,
    RecordStatus.UNDER_OBJECTION,
    RecordStatus.EXPIRED,
)


@dataclass(frozen=True, slots=True)
class Condition:
    code: str
    status: str
    message: str
    on: date | None = None


@dataclass(slots=True)
class Eligibility:
    target_type: RepairTarget
    target_id: int
    subject_id: int
    conditions: list[Condition] = field(default_factory=list)

    @property
    def unmet(self) -> list[Condition]:
        return [c for c in self.conditions if c.status == UNMET]

    @property
    def eligible(self) -> bool:
        return not self.unmet

    @property
    def documents_required(self) -> list[str]:
        return [c.code for c in self.conditions if c.status == DOCUMENT]

    @property
    def earliest_on(self) -> date | None:
        dated = [c.on for c in self.conditions if c.status == UNMET and c.on is not None]
        undated = [c for c in self.unmet if c.on is None]
        return max(dated) if dated and not undated else None

    def add(self, code: str, status: str, message: str, on: date | None = None) -> None:
        self.conditions.append(Condition(code, status, message, on))


async def _revision(session: AsyncSession, record_id: int) -> RecordRevision:
    found = await records.current_revision(session, record_id)
    if found is None:
        raise NotFound(f"record {record_id} does not exist", field="target_id", rule="exists")
    return found


_ENDED = {
    RecordStatus.REPAIRED: "already repaired: its publication has ended",
    RecordStatus.REVOKED: "revoked: there is nothing to repair",
    RecordStatus.EXPIRED: "expired: its publication period is over",
    RecordStatus.UNDER_OBJECTION: "under objection (异议中): the objection is decided first",
}


async def _record_conditions(
    session: AsyncSession, found: Eligibility, revision: RecordRevision, today: date
) -> None:
    status = RecordStatus(revision.status)
    if status in _ENDED:
        found.add("record_status", UNMET, f"record {revision.record_id} is {_ENDED[status]}")
    item = await catalog.item(session, revision.pack_version_id, revision.item_code)
    if item is None or not item.repairable or revision.category in FAVOURABLE_CATEGORIES:
        found.add(
            "not_repairable",
            UNMET,
            f"item {revision.item_code} is not repairable under the policy it was decided under",
        )
        return
    found.add("repairable", MET, f"item {revision.item_code} is repairable")
    if item.earliest_repair == EarliestRepair.AFTER_MINIMUM:
        terms = (
            await TermsCache(session).item(revision.item_code, revision.decided_on)
        ).publication(revision.severity)
        earliest = minimum_until(terms, revision.decided_on) + ONE_DAY
        if today < earliest:
            found.add(
                "minimum_period",
                UNMET,
                f"the minimum publication period of {terms.min_months} months runs until "
                f"{(earliest - ONE_DAY).isoformat()}; repair may be asked from "
                f"{earliest.isoformat()}",
                earliest,
            )
        else:
            found.add(
                "minimum_period", MET, f"the minimum publication period ended before {earliest}"
            )


def _obligations(found: Eligibility, fines: Decimal, funds: Decimal, proven: bool) -> None:
    if not fines and not funds:
        found.add("obligations", MET, "no fine to pay and no funds to return")
        return
    owed = " and ".join(
        text
        for amount, text in (
            (fines, f"the fine of {fines} yuan paid"),
            (funds, f"the {funds} yuan involved returned"),
        )
        if amount
    )
    if proven:
        found.add("obligations", MET, f"proof uploaded that {owed}")
    else:
        found.add("obligations", DOCUMENT, f"upload proof (purpose `obligation`) that {owed}")


async def _entry_conditions(
    session: AsyncSession, found: Eligibility, entry: ListEntry, today: date
) -> list[RecordRevision]:
    name = ListName(entry.list_name)
    if name is ListName.RED:
        found.add("not_repairable", UNMET, "a red list entry is an incentive; it is not repaired")
        return []
    in_force = EntryStatus.PUBLISHED if name is ListName.BLACK else EntryStatus.LISTED
    if entry.status != in_force:
        found.add(
            "entry_status",
            UNMET,
            f"{name} list entry {entry.id} is {entry.status}; only an entry in force is left by "
            "repair",
        )
    found.add("repairable", MET, f"a {name} list entry may be left by credit repair")
    if name is ListName.BLACK:
        rules = (await national_rules(session, today)).pack.lists.black
        start = entry.valid_from or entry.decided_on or today
        earliest = add_months(start, rules.repair_after_years * 12)
        if today < earliest:
            found.add(
                "minimum_period",
                UNMET,
                f"a blacklist entry may be repaired {rules.repair_after_years} year(s) after it "
                f"took effect on {start.isoformat()}: from {earliest.isoformat()}",
                earliest,
            )
        else:
            found.add("minimum_period", MET, f"in force since {start.isoformat()}")
    return [await _revision(session, record_id) for record_id in entry.record_ids]


async def _new_negative(
    session: AsyncSession, subject_id: int, since: date, excluded: Sequence[int]
) -> list[RecordRevision]:
    query = select(RecordRevision).where(
        col(RecordRevision.subject_id) == subject_id,
        col(RecordRevision.known_until).is_(None),
        col(RecordRevision.status).in_([str(s) for s in NEGATIVE_STATUSES]),
        col(RecordRevision.category).not_in([str(c) for c in FAVOURABLE_CATEGORIES]),
        col(RecordRevision.decided_on) >= since,
    )
    if excluded:
        query = query.where(col(RecordRevision.record_id).not_in(list(excluded)))
    return list((await session.execute(query)).scalars())


async def _clean(
    session: AsyncSession,
    found: Eligibility,
    rules: RepairRules,
    after: date,
    excluded: Sequence[int],
    today: date,
) -> None:
    window_start = max(add_months(today, -rules.clean_months), after + ONE_DAY)
    newer = await _new_negative(session, found.subject_id, window_start, excluded)
    if not newer:
        found.add(
            "new_negative_record",
            MET,
            f"no new negative record in the last {rules.clean_months} months",
        )
        return
    latest = max(revision.decided_on for revision in newer)
    clean_from = add_months(latest, rules.clean_months) + ONE_DAY
    cited = ", ".join(
        f"{r.record_id} ({r.item_code}, {r.decided_on.isoformat()})"
        for r in sorted(newer, key=lambda r: r.record_id)
    )
    found.add(
        "new_negative_record",
        UNMET,
        f"new negative record(s) within the last {rules.clean_months} months: {cited}",
        clean_from,
    )


async def _limits(
    session: AsyncSession, found: Eligibility, rules: RepairRules, today: date
) -> None:
    approved = await repository.approved_repairs(session, found.subject_id)
    if approved:
        again = add_months(approved[-1], rules.min_months_since_last_repair)
        if today < again:
            found.add(
                "repair_interval",
                UNMET,
                f"the last repair was approved on {approved[-1].isoformat()}; another may be "
                f"asked {rules.min_months_since_last_repair} months later, from "
                f"{again.isoformat()}",
                again,
            )
    window_start = add_months(today, -12 * rules.window_years)
    within = [day for day in approved if day > window_start]
    if len(within) >= rules.max_repairs_in_window:
        frees = add_months(within[-rules.max_repairs_in_window], 12 * rules.window_years)
        found.add(
            "repair_limit",
            UNMET,
            f"{len(within)} repairs were approved in the last {rules.window_years} years, the "
            f"most allowed; the next may be asked from {frees.isoformat()}",
            frees + ONE_DAY,
        )
    elif not any(c.code == "repair_interval" for c in found.unmet):
        found.add(
            "repair_limit",
            MET,
            f"{len(within)} of {rules.max_repairs_in_window} repairs allowed in "
            f"{rules.window_years} years used",
        )


async def assess(
    session: AsyncSession,
    target_type: RepairTarget,
    target_id: int,
    *,
    today: date,
    repair: Repair | None = None,
) -> Eligibility:
    """Every condition of the pack for this target today; documents count when `repair` (the
    filed request) has them."""
    rules = (await national_rules(session, today)).pack.remedies.repair
    proven: set[EvidencePurpose] = set()
    if repair is not None and repair.id is not None:
        files = await repository.evidence_of(session, OwnerKind.REPAIR, repair.id)
        proven = {EvidencePurpose(item.purpose) for item in files}
    if target_type is RepairTarget.RECORD:
        revision = await _revision(session, target_id)
        found = Eligibility(target_type, target_id, revision.subject_id)
        await _record_conditions(session, found, revision, today)
        cited = [revision]
        after = revision.decided_on
    else:
        entry = await lists.get(session, target_id)
        if entry is None or entry.disclosed_at is None:
            raise NotFound(
                f"list entry {target_id} does not exist", field="target_id", rule="exists"
            )
        found = Eligibility(target_type, target_id, entry.subject_id)
        cited = await _entry_conditions(session, found, entry, today)
        after = entry.decided_on or entry.proposed_at.date()
    if any(c.code == "not_repairable" for c in found.conditions):
        return found
    fines = sum((r.fine_amount or Decimal(0) for r in cited), Decimal(0))
    funds = sum((r.amount_involved or Decimal(0) for r in cited), Decimal(0))
    _obligations(found, fines, funds, EvidencePurpose.OBLIGATION in proven)
    await _clean(session, found, rules, after, [r.record_id for r in cited], today)
    await _limits(session, found, rules, today)
    if rules.requires_commitment:
        if EvidencePurpose.COMMITMENT in proven:
            found.add(
                "commitment", MET, "the signed repair commitment (信用修复承诺书) is uploaded"
            )
        else:
            found.add(
                "commitment",
                DOCUMENT,
                "download the repair commitment (信用修复承诺书), sign it and upload it "
                "(purpose `commitment`)",
            )
    if repair is None:
        open_one = await repository.open_repair(session, str(target_type), target_id)
        if open_one is not None:
            found.add(
                "repair_open",
                UNMET,
                f"repair {open_one.id} for this {target_type} is already {open_one.status}",
            )
    return found
