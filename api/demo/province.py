"""Write the demo province through the subjects module's set-based loaders.

Each kind goes in as one batch: every row is validated exactly as a single registration is, then
inserted with one executemany and recorded as one audit event, so thousands of subjects cost a
handful of round trips. The caller owns the transaction: a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.generate import OrganisationRow, PersonRow, plan_province
from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.subjects import repository
from credit.subjects.bulk import PracticeSiteRow, bulk_add_practice_sites, bulk_register
from credit.subjects.models import SubjectCreate
from credit.subjects.pii import PersonalIdentifiers

DEFAULT_SEED = 2026
ProgressCallback = Callable[[str, int, int], None]
"""Told what was just written (a kind, or `practice_site`), how many rows, and the total."""


@dataclass(frozen=True, slots=True)
class DemoProvince:
    """What `build_province` wrote: rows per kind and the subjects demo accounts speak for."""

    counts: dict[str, int] = field(default_factory=dict)
    hospital_id: int = 0  # 长沙市第一人民医院
    physician_id: int = 0  # a physician practising there

    @property
    def subjects(self) -> int:
        return sum(n for kind, n in self.counts.items() if kind != "practice_site")


async def has_subjects(session: AsyncSession) -> bool:
    """Whether any subject is registered (the demo only ever fills an empty database)."""
    found = await repository.search(session, repository.SubjectFilter(), after_id=None, limit=1)
    return bool(found)


async def build_province(
    session: AsyncSession,
    pii: PersonalIdentifiers,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    actor: Actor = SYSTEM_ACTOR,
    on_progress: ProgressCallback | None = None,
) -> DemoProvince:
    """Register a synthetic province (institutions, pharmacies, staff, insured persons, practice
    sites) in the session's transaction; the same seed and scale always give the same province."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    plan = plan_province(seed, scale)
    counts = plan.counts()
    total = sum(counts.values())
    report = on_progress or (lambda _step, _rows, _total: None)
    report("planned", 0, total)
    # Organisations first: practice sites need the ids of both sides.
    organisation_ids = await _register(session, actor, pii, plan.organisations, report, total)
    person_ids = await _register(session, actor, pii, plan.persons, report, total)
    sites = [
        PracticeSiteRow(
            person_id=person_ids[site.person],
            institution_id=organisation_ids[site.organisation],
            role=site.role,
            started_on=site.started_on,
            ended_on=site.ended_on,
        )
        for site in plan.sites
    ]
    await bulk_add_practice_sites(session, actor, sites)
    report("practice_site", len(sites), total)
    return DemoProvince(counts=counts, hospital_id=organisation_ids[0], physician_id=person_ids[0])


async def _register(
    session: AsyncSession,
    actor: Actor,
    pii: PersonalIdentifiers,
    rows: Sequence[OrganisationRow | PersonRow],
    report: ProgressCallback,
    total: int,
) -> list[int]:
    """One batch per kind, in the order kinds first appear; the new ids in the rows' order."""
    ids = [0] * len(rows)
    for kind in dict.fromkeys(row.kind for row in rows):
        positions = [i for i, row in enumerate(rows) if row.kind == kind]
        creates = [_subject_create(rows[i]) for i in positions]
        new_ids = await bulk_register(session, actor, creates, pii=pii)
        for position, new_id in zip(positions, new_ids, strict=True):
            ids[position] = new_id
        report(kind, len(positions), total)
    return ids


def _subject_create(row: OrganisationRow | PersonRow) -> SubjectCreate:
    if isinstance(row, PersonRow):
        return SubjectCreate(
            kind=row.kind,
            name=row.name,
            region_code=row.region.code,
            resident_id=row.resident_id,
            nhsa_code=row.nhsa_code,
            qualification_status=row.qualification_status,
        )
    return SubjectCreate(
        kind=row.kind,
        name=row.name,
        region_code=row.region.code,
        uscc=row.uscc,
        nhsa_code=row.nhsa_code,
        level=row.level,
        ownership=row.ownership,
        designated_on=row.designated_on,
        agreement_status=row.agreement_status,
    )
