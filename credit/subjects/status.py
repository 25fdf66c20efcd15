"""Agreement status (正常/中止/解除) and payment-qualification status (正常/暂停/终止).

Both move through one table of allowed transitions, and only through `transition`, which writes
the audit event. Termination is final: a new agreement or qualification is a new registration.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput
from credit.subjects.models import Subject

NORMAL, SUSPENDED, TERMINATED = "normal", "suspended", "terminated"

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    NORMAL: frozenset({SUSPENDED, TERMINATED}),
    SUSPENDED: frozenset({NORMAL, TERMINATED}),
    TERMINATED: frozenset(),
}
STATUS_FIELDS = ("agreement_status", "qualification_status")


def check_transition(status_field: str, current: str | None, to: str) -> None:
    """Refuse a move the table does not allow, naming the field and both states."""
    if status_field not in STATUS_FIELDS:
        raise InvalidInput(f"{status_field} is not a status", field=status_field, rule="status")
    if current is None:
        raise InvalidInput(
            f"{status_field} does not apply to this subject",
            field=status_field,
            rule="not_for_kind",
        )
    if to != current and to not in ALLOWED_TRANSITIONS[current]:
        raise Conflict(
            f"{status_field} cannot change from {current} to {to}",
            field=status_field,
            rule="transition",
            extra={"current": current},
        )


async def transition(
    session: AsyncSession,
    actor: Actor,
    subject: Subject,
    status_field: str,
    to: str,
    *,
    reason: str | None = None,
) -> bool:
    """Move a subject's status if the table allows it; False when it is already there."""
    current = getattr(subject, status_field)
    check_transition(status_field, current, to)
    if to == current:
        return False
    setattr(subject, status_field, to)
    subject.updated_at = utcnow()
    session.add(subject)
    await session.flush()
    await audit.record(
        session,
        actor,
        f"subject.{status_field}",
        "subject",
        subject.id,
        {"from": current, "to": to, "reason": reason},
    )
    return True
