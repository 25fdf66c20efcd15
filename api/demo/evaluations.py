"""The demo's evaluations: 2025 published, 2026 Q3 waiting in review, one saved simulation.

Every step goes through the same services a regulator's clicks do, with the demo accounts: the
officer starts and submits, one reviewer opens publicity (公示), the other publishes (four eyes).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.accounts.repository import account_by_username
from credit.accounts.service import actor_of
from credit.calendar import files as calendar_files
from credit.kernel.actor import Actor
from indicators import repository, run_workflow, runs, sets, simulation
from indicators.models import RunStatus, SetStatus
from indicators.runs import RunRequest

PROFILE = "hunan-2024"  # the demo province is Hunan
SIMULATED_KIND = "medical_institution"
SIMULATION_NAME = "智能监控违规加倍扣分（模拟）"
# The demo's records are generated now, so a run can only be computed as of now. The 2025
# publicity is recorded as opened on the day a regulator would have opened it, late January
# 2026 (the event keeps that reason); its working days ran out long ago, so publication passes
# the unchanged working-day check against the real clock. Nothing else is backdated.
PUBLICITY_2025_OPENED_ON = date(2026, 1, 20)


@dataclass(frozen=True, slots=True)
class DemoEvaluations:
    published_run_id: int
    in_review_run_id: int
    simulation_id: int


async def _actor(session: AsyncSession, username: str) -> Actor:
    account = await account_by_username(session, username)
    assert account is not None, f"the demo account {username} is created first"
    return actor_of(account)


async def _kinds(session: AsyncSession) -> tuple[str, ...]:
    active = await repository.sets(session, profile_code=PROFILE, status=str(SetStatus.ACTIVE))
    return tuple(sorted({row.subject_kind for row in active}))


def _stricter_monitoring(document: dict[str, Any]) -> dict[str, Any]:
    """The variant tried: confirmed monitoring violations cost twice the points, capped twice."""
    variant = copy.deepcopy(document)
    for dimension in variant["dimensions"]:
        for indicator in dimension["indicators"]:
            rule = indicator["rule"]
            if rule.get("categories") == ["monitoring"] and rule["kind"] == "per_record":
                rule["points"] = str(2 * Decimal(str(rule["points"])))
                if rule.get("cap") is not None:
                    rule["cap"] = str(2 * Decimal(str(rule["cap"])))
    return variant


async def run_demo_evaluations(session: AsyncSession) -> DemoEvaluations:
    """Publish 2025, leave 2026 Q3 in review, save a simulation against the 2025 baseline."""
    await sets.ensure_default_sets(session)
    await calendar_files.ensure_shipped(session, await _actor(session, "demo.admin"))
    officer = await _actor(session, "demo.officer")
    reviewer, second_reviewer = (
        await _actor(session, "demo.reviewer"),
        await _actor(session, "demo.reviewer2"),
    )
    kinds = await _kinds(session)
    annual = await runs.start(
        session, officer, RunRequest(cycle="2025", profile_code=PROFILE, kinds=kinds)
    )
    assert annual.id is not None
    await runs.advance(session, officer, annual.id, RunStatus.IN_REVIEW)
    await run_workflow.transition(
        session,
        reviewer,
        annual,
        RunStatus.PUBLICITY,
        reason="demo: the 2025 results were put to publicity on 20 January 2026",
        opened_on=PUBLICITY_2025_OPENED_ON,
    )
    await runs.advance(session, second_reviewer, annual.id, RunStatus.PUBLISHED)

    quarter = await runs.start(
        session, officer, RunRequest(cycle="2026Q3", profile_code=PROFILE, kinds=kinds)
    )
    assert quarter.id is not None
    await runs.advance(session, officer, quarter.id, RunStatus.IN_REVIEW)

    admin = await _actor(session, "demo.admin")
    baseline = await sets.active_set(session, PROFILE, SIMULATED_KIND)
    assert baseline is not None
    draft = await sets.create_draft(
        session,
        admin,
        profile_code=PROFILE,
        subject_kind=SIMULATED_KIND,
        title="湖南省定点医疗机构评价指标（智能监控加重版，草案）",
        document=_stricter_monitoring(baseline.document),
    )
    saved = await simulation.simulate(
        session, officer, name=SIMULATION_NAME, baseline_run_id=annual.id, set_id=draft.id or 0
    )
    assert saved.id is not None
    return DemoEvaluations(annual.id, quarter.id, saved.id)
