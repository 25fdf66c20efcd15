"""The run workflow: computed → in_review → publicity (公示) → published → superseded.

Moving a run into publicity or publishing it takes a reviewer other than whoever started it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, Forbidden
from indicators.models import EvaluationRun, EvaluationRunEvent, RunStatus

ALLOWED_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.COMPUTED: frozenset({RunStatus.IN_REVIEW}),
    RunStatus.IN_REVIEW: frozenset({RunStatus.PUBLICITY}),
    RunStatus.PUBLICITY: frozenset({RunStatus.PUBLISHED}),
    RunStatus.PUBLISHED: frozenset({RunStatus.SUPERSEDED}),
    RunStatus.SUPERSEDED: frozenset(),
}
FOUR_EYES = frozenset({RunStatus.PUBLICITY, RunStatus.PUBLISHED})


def check(run: EvaluationRun, to: RunStatus, actor: Actor) -> None:
    """Refuse a move the table does not allow, or a publication by the run's own starter."""
    current = RunStatus(run.status)
    if to not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "nothing"
        raise Conflict(
            f"evaluation run {run.id} is {current}; it cannot become {to} (allowed: {allowed})",
            field="status",
            rule="transition",
        )
    if to in FOUR_EYES and actor.role is not Role.SYSTEM and actor.name == run.started_by:
        raise Forbidden(
            f"{actor.name} started evaluation run {run.id}; another reviewer must move it to {to}",
            field="actor",
            rule="four_eyes",
        )


async def _append_event(
    session: AsyncSession,
    actor: Actor,
    run: EvaluationRun,
    from_status: RunStatus | None,
    reason: str | None,
) -> None:
    assert run.id is not None
    session.add(
        EvaluationRunEvent(
            run_id=run.id,
            from_status=str(from_status) if from_status else None,
            to_status=run.status,
            actor=actor.name,
            occurred_at=utcnow(),
            reason=reason,
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor,
        f"evaluation_run.{run.status}",
        "evaluation_run",
        run.id,
        {
            "cycle": run.cycle,
            "as_of": run.as_of.isoformat(),
            "set_ids": run.set_ids,
            "from": str(from_status) if from_status else None,
            "to": run.status,
            "subjects": run.subjects_evaluated,
            "reason": reason,
        },
    )


async def record_creation(session: AsyncSession, actor: Actor, run: EvaluationRun) -> None:
    """The first event: the run was computed (one event for the whole batch of results)."""
    await _append_event(session, actor, run, None, None)


async def transition(
    session: AsyncSession,
    actor: Actor,
    run: EvaluationRun,
    to: RunStatus,
    *,
    reason: str | None = None,
) -> None:
    """Move a run if the table and the four-eyes rule allow it, and record the event."""
    check(run, to, actor)
    current = RunStatus(run.status)
    run.status = str(to)
    if to is RunStatus.PUBLISHED:
        run.published_by, run.published_at = actor.name, utcnow()
    session.add(run)
    await session.flush()
    await _append_event(session, actor, run, current, reason)
