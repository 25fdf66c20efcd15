"""The indicator-set workflow: draft → active → retired (a draft may be retired unused)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.workflow import Transitions
from indicators.models import IndicatorSet, IndicatorSetEvent, SetStatus

ALLOWED_TRANSITIONS: dict[SetStatus, frozenset[SetStatus]] = {
    SetStatus.DRAFT: frozenset({SetStatus.ACTIVE, SetStatus.RETIRED}),
    SetStatus.ACTIVE: frozenset({SetStatus.RETIRED}),
    SetStatus.RETIRED: frozenset(),
}
TRANSITIONS = Transitions("indicator set", ALLOWED_TRANSITIONS)


def label(indicator_set: IndicatorSet) -> str:
    return (
        f"indicator set {indicator_set.profile_code}/{indicator_set.subject_kind} "
        f"version {indicator_set.version}"
    )


def check(indicator_set: IndicatorSet, to: SetStatus) -> None:
    """Refuse a move the table does not allow, naming both states."""
    identity = (
        f"{indicator_set.profile_code}/{indicator_set.subject_kind} version {indicator_set.version}"
    )
    TRANSITIONS.check(SetStatus(indicator_set.status), to, identity)


async def _append_event(
    session: AsyncSession,
    actor: Actor,
    indicator_set: IndicatorSet,
    from_status: SetStatus | None,
    reason: str | None,
) -> None:
    assert indicator_set.id is not None
    session.add(
        IndicatorSetEvent(
            set_id=indicator_set.id,
            from_status=str(from_status) if from_status else None,
            to_status=indicator_set.status,
            actor=actor.name,
            occurred_at=utcnow(),
            reason=reason,
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor,
        f"indicator_set.{'created' if from_status is None else indicator_set.status}",
        "indicator_set",
        indicator_set.id,
        {
            "profile": indicator_set.profile_code,
            "kind": indicator_set.subject_kind,
            "version": indicator_set.version,
            "from": str(from_status) if from_status else None,
            "to": indicator_set.status,
            "reason": reason,
        },
    )


async def record_creation(session: AsyncSession, actor: Actor, indicator_set: IndicatorSet) -> None:
    await _append_event(session, actor, indicator_set, None, None)


async def transition(
    session: AsyncSession,
    actor: Actor,
    indicator_set: IndicatorSet,
    to: SetStatus,
    *,
    reason: str | None = None,
) -> None:
    """Move a set version if the table allows it, and record the event."""
    check(indicator_set, to)
    current = SetStatus(indicator_set.status)
    indicator_set.status = str(to)
    indicator_set.updated_at = utcnow()
    session.add(indicator_set)
    await session.flush()
    await _append_event(session, actor, indicator_set, current, reason)
