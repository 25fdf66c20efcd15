"""A subject's credit report: published grade, live score with reasons, and grade history.

The live score is the one stored with every change (`indicators.live`), so it reflects a new
record, an upheld objection or a repair from the transaction that made the change on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.errors import NotFound
from credit.records.history import may_read_subject
from credit.subjects.models import Subject
from credit.subjects.service import get_subject
from indicators import live
from indicators.live import LiveScore
from indicators.models import EvaluationResult, EvaluationRun, RunStatus
from indicators.repository import RESULT, RUN

HISTORY_STATUSES = (str(RunStatus.PUBLISHED), str(RunStatus.SUPERSEDED))


@dataclass(frozen=True, slots=True)
class CreditReport:
    subject: Subject
    current: tuple[EvaluationResult, EvaluationRun] | None
    live: LiveScore | None
    history: list[dict[str, Any]]


async def _published(
    session: AsyncSession, subject_id: int
) -> list[tuple[EvaluationResult, EvaluationRun]]:
    query = (
        select(EvaluationResult, EvaluationRun)
        .join(EvaluationRun, RUN.id == RESULT.run_id)
        .where(RESULT.subject_id == subject_id, RUN.status.in_(HISTORY_STATUSES))
        .order_by(RUN.cycle_end.desc(), RUN.id.desc())
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def report(session: AsyncSession, actor: Actor, subject_id: int) -> CreditReport:
    """The report `actor` may read; another subject's report is NotFound."""
    if not may_read_subject(actor, subject_id):
        raise NotFound(f"subject {subject_id} does not exist", field="subject_id", rule="exists")
    subject = await get_subject(session, subject_id)
    published = await _published(session, subject_id)
    current = next(
        ((result, run) for result, run in published if run.status == RunStatus.PUBLISHED), None
    )
    history = [
        {
            "run_id": run.id,
            "cycle": run.cycle,
            "status": run.status,
            "grade": result.grade,
            "total": str(result.total) if result.total is not None else None,
            "published_at": run.published_at.isoformat() if run.published_at else None,
        }
        for result, run in published
    ]
    return CreditReport(subject, current, await live.live_score(session, subject_id), history)
