"""Personnel payment-qualification points (医保支付资格记分, DESIGN 4.4), derived from records.

A person's points for a natural year (Asia/Shanghai) come from the records naming them as a
responsible person, by tier and band; repair activities take points off, up to the yearly cap.
The thresholds (interview, suspension by months, termination with its bar) and the care still
paid come from the national pack in force. The status is the person's, so it holds at every
practice site. Ledgers are computed for many persons at once (one statement per batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.catalog.models import CatalogItem
from credit.kernel.clock import business_today
from credit.kernel.errors import InvalidInput
from credit.policy import regime
from credit.policy.personnel import PersonnelPoints
from credit.policy.vocabulary import ResponsibilityTier
from credit.records.models import RecordRevision, RecordStatus
from credit.records.publication import add_months
from credit.records.repository import REVISION, known_at
from credit.subjects import repository as subject_repository
from credit.subjects.models import SUBJECT_TABLE
from credit.subjects.service import get_subject
from indicators.aggregation import COUNTED_STATUSES
from indicators.repository import CATALOG

REPAIR_ITEMS = ("POS-TRAINING",)  # policy training; publicity and inspection items when cataloged
NORMAL, SUSPENDED, TERMINATED = "normal", "suspended", "terminated"
PERSONS_PER_STATEMENT = 100  # one LIKE per person: bounded so the statement stays cheap


@dataclass(slots=True)
class PointsLedger:
    person_id: int
    year: int
    entries: list[dict[str, Any]] = field(default_factory=list)
    repair_credits: int = 0
    gross: int = 0
    total: int = 0
    status: str = NORMAL
    interview: bool = False  # 约谈
    focus: bool = False  # on the focus list the interview threshold names
    suspension_months: int | None = None
    suspended_from: date | None = None
    suspended_until: date | None = None  # last day of the suspension
    reregistration_barred_until: date | None = None
    still_paid: list[str] = field(default_factory=list)  # care paid while suspended/terminated
    sites: list[dict[str, Any]] = field(default_factory=list)


def _is_fraud(item: CatalogItem) -> bool:
    return item.article == 40 or "FRAUD" in item.code


def points_for(rules: PersonnelPoints, item: CatalogItem, tier: ResponsibilityTier) -> int:
    """The item's points kept inside the band of the person's tier (fraud has its own band)."""
    band = rules.band_for(tier, fraud=_is_fraud(item))
    return max(band.min, min(item.default_points or band.min, band.max))


def year_bounds(rules: PersonnelPoints, on: date) -> tuple[date, date]:
    """First and last day of the points year `on` falls in."""
    start = rules.year_start(on)
    return start, date(start.year + 1, start.month, start.day) - timedelta(days=1)


async def _revisions(
    session: AsyncSession,
    person_ids: Sequence[int],
    start: date,
    end: date,
    as_of: datetime | None,
) -> list[Any]:
    # A LIKE on the stored JSON text narrows the rows on both databases; the exact match on the
    # parsed list follows in Python.
    named = [
        cast(REVISION.responsible, String).like(f'%"subject_id": {person_id},%')
        for person_id in person_ids
    ]
    repaired = REVISION.subject_id.in_(list(person_ids)) & REVISION.item_code.in_(REPAIR_ITEMS)
    query = (
        select(RecordRevision, CatalogItem)
        .join(
            CatalogItem,
            (CATALOG.pack_version_id == REVISION.pack_version_id)
            & (CATALOG.code == REVISION.item_code),
        )
        .where(
            known_at(as_of),
            REVISION.status.in_(COUNTED_STATUSES),
            REVISION.decided_on.between(start, end),
            or_(*named, repaired),
        )
        .order_by(REVISION.decided_on, REVISION.record_id)
    )
    return list((await session.execute(query)).all())


def _apply_thresholds(ledger: PointsLedger, rules: PersonnelPoints, today: date) -> None:
    """Interview, suspension (while its months run) or termination, from the year's total."""
    reached = {entry["total_after"]: entry["decided_on"] for entry in reversed(ledger.entries)}

    def first_reaching(points: int) -> date:
        return date.fromisoformat(min(day for total, day in reached.items() if total >= points))

    total = ledger.total
    ledger.interview = total >= rules.interview.at_points
    ledger.focus = ledger.interview and "focus" in rules.interview.lists
    if total >= rules.termination.at_points:
        ledger.status = TERMINATED
        single = any(entry["points"] >= rules.termination.at_points for entry in ledger.entries)
        years = (
            rules.termination.single_event_bar_years
            if single
            else rules.termination.reregistration_bar_years
        )
        on = first_reaching(rules.termination.at_points)
        ledger.reregistration_barred_until = on.replace(year=on.year + years)
        ledger.still_paid = list(rules.termination.still_paid)
    elif rules.suspension.from_points <= total <= rules.suspension.to_points:
        months = rules.suspension_months(total) or 0
        ledger.suspension_months = months
        ledger.suspended_from = first_reaching(rules.suspension.from_points)
        ledger.suspended_until = add_months(ledger.suspended_from, months) - timedelta(days=1)
        if ledger.suspended_until >= today:  # a suspension served leaves the person normal
            ledger.status = SUSPENDED
            ledger.still_paid = list(rules.suspension.still_paid)


def _tally(
    rules: PersonnelPoints, person_id: int, year: int, rows: Sequence[Any], today: date
) -> PointsLedger:
    result = PointsLedger(person_id=person_id, year=year)
    repairs = 0
    for revision, item in rows:
        tiers = [p["tier"] for p in revision.responsible if p.get("subject_id") == person_id]
        if tiers:
            points = points_for(rules, item, ResponsibilityTier(tiers[0]))
            result.gross += points
        elif revision.subject_id == person_id and revision.item_code in REPAIR_ITEMS:
            repairs += rules.repair.points_per_activity
            points = 0
        else:
            continue
        # Repairs never take off more than the cap, nor more than the points there are.
        credits = min(repairs, rules.repair.max_points_per_year, result.gross)
        if tiers:
            result.entries.append(
                {
                    "record_id": revision.record_id,
                    "item_code": revision.item_code,
                    "decided_on": revision.decided_on.isoformat(),
                    "tier": tiers[0],
                    "points": points,
                    "total_after": result.gross - credits,
                    # 异议中: the record behind these points is disputed.
                    "under_objection": revision.status == RecordStatus.UNDER_OBJECTION,
                }
            )
        result.repair_credits = credits
    result.total = result.gross - result.repair_credits
    _apply_thresholds(result, rules, today)
    return result


async def ledgers(
    session: AsyncSession,
    person_ids: Sequence[int],
    *,
    year: int | None = None,
    as_of: datetime | None = None,
) -> dict[int, PointsLedger]:
    """The ledgers of many persons for one natural year (this one by default), set-based."""
    today = business_today()
    year = year or today.year
    if not 2000 <= year <= today.year:
        raise InvalidInput(f"year {year} is not a past or current year", field="year", rule="range")
    on = date(year, 12, 31) if year < today.year else today
    rules = (await regime.national_rules(session, on)).pack.personnel_points
    start, end = year_bounds(rules, on)
    ordered = sorted(set(person_ids))
    found: dict[int, PointsLedger] = {}
    for first in range(0, len(ordered), PERSONS_PER_STATEMENT):
        batch = ordered[first : first + PERSONS_PER_STATEMENT]
        rows = await _revisions(session, batch, start, end, as_of)
        for person_id in batch:
            found[person_id] = _tally(rules, person_id, year, rows, on)
    return found


async def ledger(
    session: AsyncSession, person_id: int, *, year: int | None = None, as_of: datetime | None = None
) -> PointsLedger:
    """The person's points ledger for a natural year, with the status at each practice site."""
    person = await get_subject(session, person_id)
    result = (await ledgers(session, [person_id], year=year, as_of=as_of))[person_id]
    # The status is the person's own, so it reads the same at every current site.
    status = person.qualification_status or result.status
    result.sites = [
        {
            "institution_id": row.site.institution_id,
            "institution_name": row.institution_name,
            "role": row.site.role,
            "qualification_status": status,
        }
        for row in await subject_repository.sites(
            session, person_id=person.id, current_on=business_today()
        )
    ]
    return result


async def institution_rollup(session: AsyncSession, institution_id: int) -> dict[str, Any]:
    """Share of an institution's current staff suspended or terminated, and what it allows."""
    rules = (await regime.national_rules(session)).pack.personnel_points.institution_rollup
    staff = await subject_repository.sites(
        session, institution_id=institution_id, current_on=business_today()
    )
    people = {row.site.person_id for row in staff}
    query = select(SUBJECT_TABLE.c.qualification_status).where(
        SUBJECT_TABLE.c.id.in_(sorted(people))
    )
    statuses = list((await session.execute(query)).scalars()) if people else []
    affected = sum(1 for value in statuses if value in (SUSPENDED, TERMINATED))
    share = Decimal(affected) / len(people) if people else Decimal(0)
    action = None
    if people and share >= rules.agreement_action_from_share:
        action = "agreement_action"
    elif people and share >= rules.settlement_suspension_from_share:
        action = "settlement_suspension"
    return {
        "institution_id": institution_id,
        "qualified_staff": len(people),
        "suspended_or_terminated": affected,
        "share": str(share.quantize(Decimal("0.0001"))),
        "action": action,
    }
