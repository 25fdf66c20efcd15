"""A subject's credit report: published grade, live score with reasons, and grade history.

The live score is computed when read, from the records known at that moment, so it follows a
new record, an upheld objection or a repair within the same transaction that made the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import NotFound
from credit.records.history import may_read_subject
from credit.subjects.models import Subject
from credit.subjects.service import get_subject
from indicators import engine, repository, sets
from indicators.aggregation import ScopedSubject
from indicators.cycles import parse_cycle
from indicators.models import EvaluationResult, EvaluationRun, RunStatus, SetStatus
from indicators.repository import RESULT, RUN
from indicators.scoring import Outcome

HISTORY_STATUSES = (str(RunStatus.PUBLISHED), str(RunStatus.SUPERSEDED))


@dataclass(frozen=True, slots=True)
class LiveScore:
    cycle: str
    set_id: int
    profile_code: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class CreditReport:
    subject: Subject
    current: tuple[EvaluationResult, EvaluationRun] | None
    live: LiveScore | None
    history: list[dict[str, Any]]


async def _set_for(session: AsyncSession, subject: Subject) -> sets.LoadedSet | None:
    """The active set of the subject's kind under the profile covering its region."""
    for row in await repository.sets(session, kind=subject.kind, status=str(SetStatus.ACTIVE)):
        loaded = await sets.load(session, row.id or 0)
        prefix = loaded.profile.region_code.rstrip("0")
        if subject.region_code and subject.region_code.startswith(prefix):
            return loaded
    return None


async def live_score(session: AsyncSession, subject: Subject) -> LiveScore | None:
    """This year's score from what is known now (None where no profile covers the subject)."""
    loaded = await _set_for(session, subject)
    if loaded is None or subject.id is None:
        return None
    cycle = parse_cycle(str(business_today().year), business_today())
    scoped = ScopedSubject(subject.id, subject.kind, subject.designated_on)
    (scored,) = await engine.score_chunk(session, [scoped], {subject.kind: loaded}, cycle, utcnow())
    return LiveScore(cycle.code, loaded.id, loaded.row.profile_code, scored.outcome)


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
    return CreditReport(subject, current, await live_score(session, subject), history)
