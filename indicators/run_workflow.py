"""The run workflow: computed → in_review → publicity (公示) → published → superseded.

Moving a run into publicity or publishing it takes a reviewer other than whoever started it.
Publicity lasts the profile's working days (Chinese calendar, holidays and 调休 included) from
the day it opened; the run is published no earlier than the day publicity ends.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.calendar import service as calendar
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import Conflict, Forbidden, InvalidInput
from credit.kernel.workflow import Transitions
from indicators import sets
from indicators.models import EvaluationRun, EvaluationRunEvent, RunStatus

ALLOWED_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.COMPUTED: frozenset({RunStatus.IN_REVIEW}),
    RunStatus.IN_REVIEW: frozenset({RunStatus.PUBLICITY}),
    RunStatus.PUBLICITY: frozenset({RunStatus.PUBLISHED}),
    RunStatus.PUBLISHED: frozenset({RunStatus.SUPERSEDED}),
    RunStatus.SUPERSEDED: frozenset(),
}
TRANSITIONS = Transitions("evaluation run", ALLOWED_TRANSITIONS)
FOUR_EYES = frozenset({RunStatus.PUBLICITY, RunStatus.PUBLISHED})


def check(run: EvaluationRun, to: RunStatus, actor: Actor) -> None:
    """Refuse a move the table does not allow, or a publication by the run's own starter."""
    TRANSITIONS.check(RunStatus(run.status), to, run.id)
    if to in FOUR_EYES and actor.role is not Role.SYSTEM and actor.name == run.started_by:
        raise Forbidden(
            f"{actor.name} started evaluation run {run.id}; another reviewer must move it to {to}",
            field="actor",
            rule="four_eyes",
        )


async def publicity_working_days(session: AsyncSession, run: EvaluationRun) -> int:
    """The longest publicity any of the run's profiles asks for (a run usually has one)."""
    days = [
        (await sets.load(session, set_id)).profile.publicity_working_days for set_id in run.set_ids
    ]
    return max(days)


async def _open_publicity(session: AsyncSession, run: EvaluationRun, opened_on: date) -> None:
    today = business_today()
    if opened_on > today:
        raise InvalidInput(
            f"publicity cannot open on {opened_on.isoformat()}, after today ({today.isoformat()})",
            field="opened_on",
            rule="not_future",
        )
    days = await publicity_working_days(session, run)
    ends = await calendar.add_working_days(session, opened_on, days)
    run.publicity_opened_on, run.publicity_ends_on = opened_on, ends.date
    run.publicity_end_exact = ends.exact


def _check_publicity_over(run: EvaluationRun) -> None:
    ends_on = run.publicity_ends_on
    if ends_on is not None and business_today() < ends_on:
        raise Conflict(
            f"evaluation run {run.id} is in publicity (公示) until {ends_on.isoformat()}; "
            f"it can be published from {ends_on.isoformat()}",
            field="publicity_ends_on",
            rule="publicity_open",
            extra={"publicity_ends_on": ends_on.isoformat()},
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
            "publicity_ends_on": run.publicity_ends_on.isoformat()
            if run.publicity_ends_on
            else None,
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
    opened_on: date | None = None,
) -> None:
    """Move a run if the table and the four-eyes rule allow it, and record the event.

    `opened_on` is the business date publicity opened (today when not given); only a caller
    that records a decision taken earlier (the demo's past cycle) names another day.
    """
    check(run, to, actor)
    if to is RunStatus.PUBLICITY:
        await _open_publicity(session, run, opened_on or business_today())
    elif to is RunStatus.PUBLISHED:
        _check_publicity_over(run)
    current = RunStatus(run.status)
    run.status = str(to)
    if to is RunStatus.PUBLISHED:
        run.published_by, run.published_at = actor.name, utcnow()
    session.add(run)
    await session.flush()
    await _append_event(session, actor, run, current, reason)


# A correction that carries out a decision already reviewed (an upheld objection) skips review
# and publicity: the objection procedure was both, and its decision names the reason.
DECIDED_CORRECTION = Transitions(
    "correction run", {RunStatus.COMPUTED: frozenset({RunStatus.PUBLISHED})}
)


async def publish_decided_correction(
    session: AsyncSession, actor: Actor, run: EvaluationRun, *, reason: str
) -> None:
    """Publish a correction run made to carry out a reviewed decision; the event names it."""
    if run.corrects_run_id is None:
        raise InvalidInput(
            f"evaluation run {run.id} corrects no run; only a correction is published this way",
            field="run_id",
            rule="correction_only",
        )
    current = RunStatus(run.status)
    DECIDED_CORRECTION.check(current, RunStatus.PUBLISHED, run.id)
    run.status = str(RunStatus.PUBLISHED)
    run.published_by, run.published_at = actor.name, utcnow()
    session.add(run)
    await session.flush()
    await _append_event(session, actor, run, current, reason)
