"""Close publicity (公示): a run whose publicity has ended is published by the system.

The reviewer's four-eyes decision was taken when publicity opened; once its working days are
over with no one to hold it back, the run is published as if a reviewer had pressed the button
that day. Running the sweep twice, or days late, publishes each run once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.kernel.actor import SYSTEM_ACTOR
from credit.notifications.service import notify
from indicators import runs
from indicators.models import EvaluationRun, RunStatus


async def close_publicity(session: AsyncSession, today: date) -> int:
    """Publish every run whose publicity ended on or before `today`; the number published."""
    query = (
        select(col(EvaluationRun.id))
        .where(
            col(EvaluationRun.status) == str(RunStatus.PUBLICITY),
            col(EvaluationRun.publicity_ends_on) <= today,
        )
        .order_by(col(EvaluationRun.id))
    )
    run_ids = [int(found) for found in (await session.execute(query)).scalars() if found]
    for run_id in run_ids:
        run = await runs.advance(
            session, SYSTEM_ACTOR, run_id, RunStatus.PUBLISHED, reason="publicity (公示) ended"
        )
        await notify(
            session,
            kind="evaluation.published",
            title=f"评价批次 {run_id}（{run.cycle}）公示期满，已发布",
            body=f"Evaluation run {run_id} for {run.cycle} was published when its publicity "
            f"ended on {run.publicity_ends_on}.",
            role="reviewer",
            link=f"/api/v1/evaluations/{run_id}",
            dedupe_key=f"evaluation_run:{run_id}:published",
        )
    return len(run_ids)
