"""The objection and repair workflows: one table of allowed moves each, and the one function
that changes a case's status and writes its append-only event.

objection: submitted → accepted | not_accepted; accepted → under_review;
           under_review → upheld | partly_upheld | dismissed (the decision deadline extendable once)
repair:    submitted → accepted | not_accepted; accepted → under_review;
           under_review → approved | rejected
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.workflow import Transitions
from repair.models import (
    Objection,
    ObjectionEvent,
    ObjectionStatus,
    Repair,
    RepairEvent,
    RepairStatus,
)

OS, RS = ObjectionStatus, RepairStatus
OBJECTION = Transitions(
    "objection",
    {
        OS.SUBMITTED: frozenset({OS.ACCEPTED, OS.NOT_ACCEPTED}),
        OS.ACCEPTED: frozenset({OS.UNDER_REVIEW}),
        OS.UNDER_REVIEW: frozenset({OS.UPHELD, OS.PARTLY_UPHELD, OS.DISMISSED}),
    },
)
REPAIR = Transitions(
    "credit repair",
    {
        RS.SUBMITTED: frozenset({RS.ACCEPTED, RS.NOT_ACCEPTED}),
        RS.ACCEPTED: frozenset({RS.UNDER_REVIEW}),
        RS.UNDER_REVIEW: frozenset({RS.APPROVED, RS.REJECTED}),
    },
)
OPEN_OBJECTION = frozenset({OS.SUBMITTED, OS.ACCEPTED, OS.UNDER_REVIEW})
OPEN_REPAIR = frozenset({RS.SUBMITTED, RS.ACCEPTED, RS.UNDER_REVIEW})

Case = Objection | Repair


def kind_of(case: Case) -> str:
    return "objection" if isinstance(case, Objection) else "repair"


# Who decides a case (four-eyes: never whoever accepted or reviewed it), and who handles it.
DECIDERS = frozenset({Role.ADMIN, Role.REVIEWER, Role.SYSTEM})
HANDLERS = frozenset({Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.SYSTEM})


def may_read(actor: Actor, case: Case) -> bool:
    """Regulators read every case; a subject its own; anyone else learns nothing of it."""
    if actor.is_regulator or actor.role is Role.SYSTEM:
        return True
    return actor.role is Role.SUBJECT and actor.subject_id == case.subject_id


def is_open(case: Case) -> bool:
    if isinstance(case, Objection):
        return ObjectionStatus(case.status) in OPEN_OBJECTION
    return RepairStatus(case.status) in OPEN_REPAIR


async def record_event(
    session: AsyncSession,
    actor: Actor,
    case: Case,
    from_status: str | None,
    *,
    action: str,
    reason: str | None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append the case's event and its audit record."""
    assert case.id is not None
    fields: dict[str, Any] = {
        "from_status": from_status,
        "to_status": case.status,
        "action": action,
        "actor": actor.name,
        "actor_role": str(actor.role),
        "account_id": actor.account_id,
        "occurred_at": utcnow(),
        "reason": reason,
        "changes": changes or {},
    }
    if isinstance(case, Objection):
        session.add(ObjectionEvent(objection_id=case.id, **fields))
        table = "objection"
    else:
        session.add(RepairEvent(repair_id=case.id, **fields))
        table = "credit_repair"
    await session.flush()
    await audit.record(
        session,
        actor,
        f"{kind_of(case)}.{action}",
        table,
        case.id,
        {
            "subject_id": case.subject_id,
            "target": f"{case.target_type}:{case.target_id}",
            "from": from_status,
            "to": case.status,
            "reason": reason,
            "changes": changes or {},
        },
    )


async def transition(
    session: AsyncSession,
    actor: Actor,
    case: Case,
    to: ObjectionStatus | RepairStatus,
    *,
    reason: str | None,
    stamps: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Move the case if its table allows it, set the step's `stamps`, and record the event."""
    current = case.status
    if isinstance(case, Objection):
        OBJECTION.check(ObjectionStatus(current), ObjectionStatus(to), case.id)
    else:
        REPAIR.check(RepairStatus(current), RepairStatus(to), case.id)
    for name, value in (stamps or {}).items():
        setattr(case, name, value)
    case.status = str(to)
    case.updated_at = utcnow()
    session.add(case)
    await session.flush()
    await record_event(
        session,
        actor,
        case,
        current,
        action=str(to),
        reason=reason,
        changes={**_plain(stamps or {}), **(changes or {})},
    )


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        if value is None or isinstance(value, bool | int | str | list | dict)
        else str(value)
        for name, value in values.items()
    }
