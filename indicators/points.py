"""Personnel payment-qualification points (医保支付资格记分, DESIGN 4.4), derived from records.

A person's points for a natural year (Asia/Shanghai) come from the records naming them as a
responsible person, by tier and band; repair activities take points off, up to the yearly cap.
The thresholds (interview, suspension by months, termination with its bar) come from the
national pack in force. The status is the person's, so it holds at every practice site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.catalog.models import CatalogItem
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today
from credit.kernel.errors import InvalidInput
from credit.policy import regime
from credit.policy.personnel import PersonnelPoints
from credit.policy.vocabulary import ResponsibilityTier
from credit.records.models import RecordRevision
from credit.records.repository import REVISION, known_at
from credit.subjects import repository as subject_repository
from credit.subjects import status as subject_status
from credit.subjects.models import SUBJECT_TABLE
from credit.subjects.service import get_subject
from indicators.aggregation import COUNTED_STATUSES
from indicators.repository import CATALOG

REPAIR_ITEMS = ("POS-TRAINING",)  # policy training; publicity and inspection items when cataloged
NORMAL, SUSPENDED, TERMINATED = "normal", "suspended", "terminated"


@dataclass(slots=True)
class PointsLedger:
    person_id: int
    year: int
    entries: list[dict[str, Any]] = field(default_factory=list)
    repair_credits: int = 0
    gross: int = 0
    total: int = 0
    status: str = NORMAL
    interview: bool = False
    suspension_months: int | None = None
    reregistration_barred_until: date | None = None
    sites: list[dict[str, Any]] = field(default_factory=list)


def _is_fraud(item: CatalogItem) -> bool:
    return item.article == 40 or "FRAUD" in item.code


def points_for(rules: PersonnelPoints, item: CatalogItem, tier: ResponsibilityTier) -> int:
    """The item's points kept inside the band of the person's tier (fraud has its own band)."""
    band = rules.band_for(tier, fraud=_is_fraud(item))
    return max(band.min, min(item.default_points or band.min, band.max))


async def _revisions(
    session: AsyncSession, person_id: int, start: date, end: date, as_of: datetime | None
) -> list[Any]:
    # A LIKE on the stored JSON text narrows the rows on both databases; the exact match on the
    # parsed list follows in Python.
    needle = f'%"subject_id": {person_id},%'
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
            (cast(REVISION.responsible, String).like(needle))
            | ((REVISION.subject_id == person_id) & REVISION.item_code.in_(REPAIR_ITEMS)),
        )
        .order_by(REVISION.decided_on, REVISION.record_id)
    )
    return list((await session.execute(query)).all())


def _apply_thresholds(ledger: PointsLedger, rules: PersonnelPoints, reached_on: date) -> None:
    total = ledger.total
    ledger.interview = total >= rules.interview.at_points
    if total >= rules.termination.at_points:
        ledger.status = TERMINATED
        single = any(entry["points"] >= rules.termination.at_points for entry in ledger.entries)
        years = (
            rules.termination.single_event_bar_years
            if single
            else rules.termination.reregistration_bar_years
        )
        ledger.reregistration_barred_until = reached_on.replace(year=reached_on.year + years)
    elif rules.suspension.from_points <= total <= rules.suspension.to_points:
        ledger.status = SUSPENDED
        ledger.suspension_months = rules.suspension_months(total)


async def ledger(
    session: AsyncSession, person_id: int, *, year: int | None = None, as_of: datetime | None = None
) -> PointsLedger:
    """The person's points ledger for a natural year (this one by default)."""
    person = await get_subject(session, person_id)
    today = business_today()
    year = year or today.year
    if not 2000 <= year <= today.year:
        raise InvalidInput(f"year {year} is not a past or current year", field="year", rule="range")
    on = date(year, 12, 31) if year < today.year else today
    rules = (await regime.national_rules(session, on)).pack.personnel_points
    start = rules.year_start(on)
    end = date(start.year + 1, start.month, start.day) - timedelta(days=1)
    result = PointsLedger(person_id=person_id, year=year)
    repairs, reached_on = 0, start
    for revision, item in await _revisions(session, person_id, start, end, as_of):
        tiers = [p["tier"] for p in revision.responsible if p.get("subject_id") == person_id]
        if tiers:
            points = points_for(rules, item, ResponsibilityTier(tiers[0]))
            result.gross += points
            result.entries.append(
                {
                    "record_id": revision.record_id,
                    "item_code": revision.item_code,
                    "decided_on": revision.decided_on.isoformat(),
                    "tier": tiers[0],
                    "points": points,
                }
            )
            if result.gross >= rules.termination.at_points and reached_on == start:
                reached_on = revision.decided_on
        elif revision.subject_id == person_id and revision.item_code in REPAIR_ITEMS:
            repairs += rules.repair.points_per_activity
    result.repair_credits = min(repairs, rules.repair.max_points_per_year, result.gross)
    result.total = result.gross - result.repair_credits
    _apply_thresholds(result, rules, reached_on)
    # The status is the person's own, so it reads the same at every current site.
    result.sites = [
        {
            "institution_id": row.site.institution_id,
            "institution_name": row.institution_name,
            "role": row.site.role,
            "qualification_status": result.status,
        }
        for row in await subject_repository.sites(session, person_id=person.id, current_on=today)
    ]
    return result


async def apply_status(
    session: AsyncSession, actor: Actor, person_id: int, *, year: int | None = None
) -> PointsLedger:
    """Bring the person's payment-qualification status in line with the year's points.

    Termination is final; a suspension ends (back to normal) once the points no longer reach it.
    """
    found = await ledger(session, person_id, year=year)
    person = await get_subject(session, person_id)
    if person.qualification_status not in (None, TERMINATED):
        reason = f"{found.total} personnel points in {found.year}"
        await subject_status.transition(
            session, actor, person, "qualification_status", found.status, reason=reason
        )
    return found


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
