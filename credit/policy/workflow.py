"""The pack workflow: one table of allowed moves and the one function that makes them.

draft → submitted → active → superseded; a draft or a submitted version may be withdrawn.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.errors import Forbidden
from credit.kernel.workflow import Transitions
from credit.policy.models import PackEvent, PackStatus, PackVersion

ALLOWED_TRANSITIONS: dict[PackStatus, frozenset[PackStatus]] = {
    PackStatus.DRAFT: frozenset({PackStatus.SUBMITTED, PackStatus.WITHDRAWN}),
    PackStatus.SUBMITTED: frozenset({PackStatus.ACTIVE, PackStatus.WITHDRAWN}),
    PackStatus.ACTIVE: frozenset({PackStatus.SUPERSEDED}),
    PackStatus.SUPERSEDED: frozenset(),
    PackStatus.WITHDRAWN: frozenset(),
}
TRANSITIONS = Transitions("policy pack", ALLOWED_TRANSITIONS)


def label(version: PackVersion) -> str:
    return f"policy pack {version.code} version {version.version}"


def check_transition(version: PackVersion, to: PackStatus) -> None:
    """Refuse a move the table does not allow, naming both states."""
    TRANSITIONS.check(PackStatus(version.status), to, f"{version.code} version {version.version}")


def check_four_eyes(version: PackVersion, approver: Actor) -> None:
    """Whoever wrote or submitted a version may not approve it; the shipped defaults are exempt."""
    if approver.role is Role.SYSTEM:
        return
    authors = {version.created_by, version.updated_by, version.submitted_by}
    if approver.name in authors:
        raise Forbidden(
            f"{approver.name} created, edited or submitted {label(version)}; "
            "a different admin must approve it",
            field="approved_by",
            rule="four_eyes",
        )


async def _append_event(
    session: AsyncSession,
    actor: Actor,
    version: PackVersion,
    from_status: PackStatus | None,
    reason: str | None,
) -> PackEvent:
    assert version.id is not None
    event = PackEvent(
        pack_version_id=version.id,
        from_status=str(from_status) if from_status else None,
        to_status=version.status,
        actor=actor.name,
        actor_role=str(actor.role),
        occurred_at=utcnow(),
        reason=reason,
    )
    session.add(event)
    await session.flush()
    action = "created" if from_status is None else version.status
    await audit.record(
        session,
        actor,
        f"policy_pack.{action}",
        "policy_pack_version",
        version.id,
        {
            "code": version.code,
            "version": version.version,
            "from": event.from_status,
            "to": version.status,
            "effective_from": version.effective_from.isoformat(),
            "sha256": version.sha256,
            "reason": reason,
        },
    )
    return event


async def record_creation(session: AsyncSession, actor: Actor, version: PackVersion) -> PackEvent:
    """The first event of a new draft (its status is the workflow's starting state)."""
    return await _append_event(session, actor, version, None, None)


async def transition(
    session: AsyncSession,
    actor: Actor,
    version: PackVersion,
    to: PackStatus,
    *,
    reason: str | None = None,
) -> PackEvent:
    """Move a version if the table allows it, stamp who did it, and record the event."""
    check_transition(version, to)
    current = PackStatus(version.status)
    now = utcnow()
    version.status = str(to)
    if to is PackStatus.SUBMITTED:
        version.submitted_by, version.submitted_at = actor.name, now
    elif to is PackStatus.ACTIVE:
        version.approved_by, version.approved_at = actor.name, now
    session.add(version)
    await session.flush()
    return await _append_event(session, actor, version, current, reason)
