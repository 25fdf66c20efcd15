"""Scheduled evaluation cycles: when a profile's cycle ends, its run starts by itself.

Which profiles are evaluated on schedule is a deployment choice (the scheduler passes the
configured profile codes); the cycle (annual, quarterly, monthly) is the profile's own. The
run is computed as of the moment it starts, with the profile's active indicator sets, and then
waits in `computed` for the officers' review: review, publicity and publication stay human
decisions. A cycle that already has a full run with those sets is not evaluated again.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.kernel.actor import Actor, Role
from credit.kernel.errors import InvalidInput
from credit.notifications.service import notify
from indicators import repository, runs, sets
from indicators.models import EvaluationRun, SetStatus

SCHEDULER_ACTOR = Actor(role=Role.SYSTEM, name="scheduler")


def cycle_just_ended(cycle: str, today: date) -> str:
    """The code of the latest cycle of this kind that ended before `today`."""
    if cycle == "annual":
        return str(today.year - 1)
    if cycle == "quarterly":
        quarter = (today.month - 1) // 3 + 1
        return f"{today.year - 1}Q4" if quarter == 1 else f"{today.year}Q{quarter - 1}"
    if cycle == "monthly":
        return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"
    raise InvalidInput(f"unknown cycle {cycle}", field="cycle", rule="known_cycle")


async def _already_run(session: AsyncSession, cycle: str, set_ids: list[int]) -> bool:
    query = select(EvaluationRun).where(
        col(EvaluationRun.cycle) == cycle, col(EvaluationRun.corrects_run_id).is_(None)
    )
    return any(sorted(run.set_ids) == set_ids for run in (await session.execute(query)).scalars())


async def start_due_cycles(
    session: AsyncSession, today: date, profile_codes: tuple[str, ...]
) -> list[int]:
    """Start the run of each profile whose latest ended cycle has none; the new run ids."""
    started = []
    for profile_code in profile_codes:
        active = await repository.sets(
            session, profile_code=profile_code, status=str(SetStatus.ACTIVE), limit=100
        )
        if not active:
            raise InvalidInput(
                f"profile {profile_code} has no active indicator set to evaluate with",
                field="profile_code",
                rule="active_set",
            )
        set_ids = sorted(row.id or 0 for row in active)
        profile = (await sets.load(session, set_ids[0])).profile
        cycle = cycle_just_ended(profile.cycle, today)
        if await _already_run(session, cycle, set_ids):
            continue
        run = await runs.start(
            session, SCHEDULER_ACTOR, runs.RunRequest(cycle=cycle, set_ids=tuple(set_ids))
        )
        assert run.id is not None
        started.append(run.id)
        await notify(
            session,
            kind="evaluation.computed",
            title=f"{profile_code} {cycle} 评价已按计划完成计算，待审核",
            body=f"Scheduled evaluation run {run.id} ({profile_code}, cycle {cycle}) evaluated "
            f"{run.subjects_evaluated} subjects and waits for review.",
            role="officer",
            link=f"/api/v1/evaluations/{run.id}",
            dedupe_key=f"evaluation_run:{run.id}:computed",
        )
    return started
