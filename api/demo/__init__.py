"""A synthetic Hunan province to try medcredit with: subjects, staff, accounts, a partner key.

`build_demo` is what `medcredit demo` runs; each later part of the demo (credit records,
evaluations, lists) is one more step here, inside the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.evaluations import DemoEvaluations, run_demo_evaluations
from api.demo.lists import load_list_entries
from api.demo.logins import (
    DEMO_LOGINS,
    DemoLogin,
    create_demo_logins,
    create_partner_key,
    existing_demo_logins,
)
from api.demo.measures import load_measures
from api.demo.province import (
    DEFAULT_SEED,
    DemoProvince,
    ProgressCallback,
    build_province,
    has_subjects,
)
from api.demo.records import load_records
from api.demo.remedies import load_remedies
from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.policy.service import ensure_defaults
from credit.subjects.pii import PersonalIdentifiers

__all__ = [
    "DEFAULT_SEED",
    "DEMO_LOGINS",
    "DemoBuilt",
    "DemoEvaluations",
    "DemoLogin",
    "DemoProvince",
    "build_demo",
    "build_province",
    "existing_demo_logins",
    "has_subjects",
]


@dataclass(frozen=True, slots=True)
class DemoBuilt:
    province: DemoProvince
    logins: list[DemoLogin]
    partner_key: str  # shown once: only its hash is stored
    records: dict[str, int] = field(default_factory=dict)  # credit records per category
    evaluations: DemoEvaluations | None = None
    measures: dict[str, int] = field(default_factory=dict)  # assignments and feedback
    remedies: dict[str, int] = field(default_factory=dict)  # objections and repairs by state

    @property
    def record_count(self) -> int:
        return sum(self.records.values())


async def build_demo(
    session: AsyncSession,
    pii: PersonalIdentifiers,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    partner_rate_limit: int = 600,
    actor: Actor = SYSTEM_ACTOR,
    on_progress: ProgressCallback | None = None,
    evidence_dir: Path | None = None,
) -> DemoBuilt:
    """The whole demo in the session's transaction: the province, two years of its credit
    records (under the national policy pack), its accounts, a partner key, and its
    evaluations (2025 published, 2026 Q3 in review, a saved simulation)."""
    province = await build_province(
        session, pii, seed=seed, scale=scale, actor=actor, on_progress=on_progress
    )
    await ensure_defaults(session)  # records are made under the active pack's catalog
    records = await load_records(
        session, actor, seed=seed, scale=scale, hospital_id=province.hospital_id
    )
    logins = await create_demo_logins(session, actor, province)
    partner_key = await create_partner_key(session, actor, partner_rate_limit)
    evaluations = await run_demo_evaluations(session)  # the demo accounts act in it
    await load_list_entries(session, hospital_id=province.hospital_id)
    measures = await load_measures(session)  # after grades and lists, so all triggers count
    remedies = await load_remedies(
        session, hospital_id=province.hospital_id, evidence_dir=evidence_dir
    )
    return DemoBuilt(province, logins, partner_key, records, evaluations, measures, remedies)
