"""Superseding a subject's published results after a decision changed its information.

An upheld objection revises a record (or finds a result wrong); the subject's current published
result of each affected cycle is then superseded by a correction run for that subject alone,
published at once because the objection procedure was its review (`run_workflow.
publish_decided_correction`). The original result is never changed; reports read the newest.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import NotFound
from credit.subjects.service import get_subject
from indicators import engine, reasons, run_workflow, sets, standing
from indicators.aggregation import ScopedSubject
from indicators.cycles import Cycle
from indicators.models import RESULT_TABLE, RUN_TABLE, EvaluationResult, EvaluationRun, RunStatus
from indicators.result_store import ResultWriter

RESULT, RUN = RESULT_TABLE.c, RUN_TABLE.c


async def current_results(
    session: AsyncSession, subject_id: int, *, cycle_ending_from: date | None = None
) -> list[tuple[EvaluationResult, EvaluationRun]]:
    """The subject's current published result of each cycle (the newest run publishing one)."""
    query = (
        select(EvaluationResult, EvaluationRun)
        .join(EvaluationRun, RUN.id == RESULT.run_id)
        .where(RESULT.subject_id == subject_id, RUN.status == str(RunStatus.PUBLISHED))
        .order_by(RUN.cycle, RUN.id.desc())
    )
    if cycle_ending_from is not None:
        query = query.where(RUN.cycle_end >= cycle_ending_from)
    newest: dict[str, tuple[EvaluationResult, EvaluationRun]] = {}
    for result, run in (await session.execute(query)).all():
        newest.setdefault(run.cycle, (result, run))
    return list(newest.values())


async def get_result(session: AsyncSession, result_id: int) -> EvaluationResult:
    found = await session.get(EvaluationResult, result_id)
    if found is None:
        raise NotFound(
            f"evaluation result {result_id} does not exist", field="target_id", rule="exists"
        )
    return found


async def flag_result(session: AsyncSession, result_id: int, flagged: bool) -> None:
    """Show the result 异议中 (or no longer) while an objection against it is under review."""
    found = await get_result(session, result_id)
    found.under_objection = flagged
    session.add(found)
    await session.flush()


async def _correct_one(
    session: AsyncSession, actor: Actor, subject_id: int, run: EvaluationRun, reason: str
) -> EvaluationRun | None:
    subject = await get_subject(session, subject_id)
    loaded = None
    for set_id in run.set_ids:
        candidate = await sets.load(session, set_id)
        if candidate.row.subject_kind == subject.kind:
            loaded = candidate
    if loaded is None:
        return None
    now = utcnow()
    correction = EvaluationRun(
        cycle=run.cycle,
        cycle_start=run.cycle_start,
        cycle_end=run.cycle_end,
        as_of=now,
        scope_kinds=list(run.scope_kinds),
        scope_regions=list(run.scope_regions),
        set_ids=list(run.set_ids),
        status=str(RunStatus.COMPUTED),
        started_by=actor.name,
        started_at=now,
        corrects_run_id=run.corrects_run_id or run.id,
        subjects_evaluated=1,
    )
    session.add(correction)
    await session.flush()
    assert correction.id is not None
    cycle = Cycle(run.cycle, run.cycle_start, run.cycle_end)
    scoped = ScopedSubject(subject_id, subject.kind, subject.designated_on)
    scored = await engine.score_chunk(session, [scoped], {subject.kind: loaded}, cycle, now)
    await reasons.name_rules(session, loaded.document, cycle, [item.outcome for item in scored])
    writer = ResultWriter(session, correction.id)
    await writer.start(scored)
    await writer.flush()
    await run_workflow.record_creation(session, actor, correction)
    await run_workflow.publish_decided_correction(session, actor, correction, reason=reason)
    return correction


async def supersede_results(
    session: AsyncSession,
    actor: Actor,
    subject_id: int,
    *,
    reason: str,
    cycle_ending_from: date | None = None,
) -> list[EvaluationRun]:
    """Supersede the subject's current published results (of cycles ending on or after
    `cycle_ending_from`) with results computed from what is known now; the correction runs."""
    made: list[EvaluationRun] = []
    for _, run in await current_results(session, subject_id, cycle_ending_from=cycle_ending_from):
        correction = await _correct_one(session, actor, subject_id, run, reason)
        if correction is not None:
            made.append(correction)
            # Measures and grade-based list candidates follow the corrected grade.
            await standing.refresh_run(session, correction.id or 0)
    return made
