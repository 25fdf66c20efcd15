"""A synthetic Hunan province to try medcredit with: subjects, staff, accounts, a partner key.

`build_demo` is what `medcredit demo` runs; each later part of the demo (credit records,
evaluations, lists) is one more step here, inside the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.logins import (
    DEMO_LOGINS,
    DemoLogin,
    create_demo_logins,
    create_partner_key,
    existing_demo_logins,
)
from api.demo.province import (
    DEFAULT_SEED,
    DemoProvince,
    ProgressCallback,
    build_province,
    has_subjects,
)
from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.subjects.pii import PersonalIdentifiers

__all__ = [
    "DEFAULT_SEED",
    "DEMO_LOGINS",
    "DemoBuilt",
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


async def build_demo(
    session: AsyncSession,
    pii: PersonalIdentifiers,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    partner_rate_limit: int = 600,
    actor: Actor = SYSTEM_ACTOR,
    on_progress: ProgressCallback | None = None,
) -> DemoBuilt:
    """The whole demo in the session's transaction: the province, its accounts, a partner key."""
    province = await build_province(
        session, pii, seed=seed, scale=scale, actor=actor, on_progress=on_progress
    )
    logins = await create_demo_logins(session, actor, province)
    partner_key = await create_partner_key(session, actor, partner_rate_limit)
    return DemoBuilt(province, logins, partner_key)
