"""Reading a run's results: regulators see all of them, a subject only its own once public."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor, Role
from credit.kernel.errors import NotFound
from credit.kernel.pagination import check_limit, decode_cursor, encode_cursor
from indicators import repository
from indicators.models import EvaluationResult, EvaluationRun, RunStatus
from indicators.runs import get_run

# A subject sees its result from publicity (公示) on, so it can object before publication.
VISIBLE_TO_SUBJECTS = frozenset({RunStatus.PUBLICITY, RunStatus.PUBLISHED, RunStatus.SUPERSEDED})


@dataclass(frozen=True, slots=True)
class ResultPage:
    items: Sequence[EvaluationResult]
    next_cursor: str | None
    grade_counts: dict[str, int]


def _missing_run(run_id: int) -> NotFound:
    return NotFound(f"evaluation run {run_id} does not exist", field="run_id", rule="exists")


async def readable_run(session: AsyncSession, actor: Actor, run_id: int) -> EvaluationRun:
    """The run, if `actor` may read it; a subject never learns of an unpublished run."""
    run = await get_run(session, run_id)
    if actor.role is Role.SUBJECT and RunStatus(run.status) not in VISIBLE_TO_SUBJECTS:
        raise _missing_run(run_id)
    return run


async def results(
    session: AsyncSession,
    actor: Actor,
    run_id: int,
    *,
    subject_id: int | None = None,
    grade: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> ResultPage:
    """One page of results with grade counts; another subject's result is NotFound."""
    await readable_run(session, actor, run_id)
    limit = check_limit(limit)
    if actor.role is Role.SUBJECT:
        if subject_id is not None and subject_id != actor.subject_id:
            raise NotFound(
                f"subject {subject_id} has no result in run {run_id}",
                field="subject_id",
                rule="exists",
            )
        subject_id = actor.subject_id or 0
    rows = await repository.results(
        session,
        run_id,
        subject_id=subject_id,
        grade=grade,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    counts = await repository.grade_counts(session, run_id, subject_id=subject_id)
    last = rows[-1].id if rows else None
    next_cursor = encode_cursor(last) if last and len(rows) == limit else None
    return ResultPage(rows, next_cursor, counts)
