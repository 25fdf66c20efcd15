"""The deadline sweep: reminders before an objection's or a repair's deadline, and escalation
of those past it. Idempotent: each reminder and escalation carries a dedupe key naming the
deadline it is about, and an escalated case is marked overdue once, so a sweep run twice or
late tells everyone once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.calendar.service import calendar
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.clock import utcnow
from credit.kernel.errors import NotFound
from credit.policy.regime import national_rules
from repair import deadlines, notices, repository, workflow
from repair.workflow import Case

# An operational nudge, not a legal period: officers hear of a deadline this many working days
# ahead (the statutory periods themselves come from the pack).
# Who acts next: officers accept; reviewers decide.
ACTING_ROLES = {"submitted": ("officer",), "accepted": ("officer",)}
DECIDING_ROLES = ("reviewer",)
ESCALATION_ROLES = ("officer", "reviewer")


def _label(case: Case) -> str:
    return f"{workflow.kind_of(case)} {case.id} ({case.target_type} {case.target_id})"


async def _escalate(session: AsyncSession, case: Case, today: date) -> None:
    assert case.deadline is not None
    due = case.deadline.isoformat()
    if case.overdue_since is None:
        case.overdue_since = today
        case.updated_at = utcnow()
        session.add(case)
        await session.flush()
        await workflow.record_event(
            session,
            SYSTEM_ACTOR,
            case,
            case.status,
            action="overdue",
            reason=f"the deadline {due} passed while it was {case.status}",
            changes={"deadline": due},
        )
    await notices.tell_regulators(
        session,
        case,
        "overdue",
        f"{_label(case)} is {case.status} past its deadline {due}; act on it now",
        roles=ESCALATION_ROLES,
        key=notices.key_of(case, f"overdue:{due}"),
    )


async def sweep_deadlines(session: AsyncSession, today: date) -> int:
    """Remind and escalate every open objection and repair; how many were reminded or
    escalated by this run (a second run the same day finds nothing new)."""
    known = await calendar(session)
    try:
        remind_at = (await national_rules(session, today)).pack.remedies.remind_working_days_before
    except NotFound:
        return 0  # no national pack in force: no deadlines to keep
    cases: list[Case] = [
        *await repository.open_objections(session),
        *await repository.open_repairs(session),
    ]
    acted = 0
    for case in cases:
        if case.deadline is None:
            continue
        shown = deadlines.view(known, today, case.deadline, case.deadline_exact)
        if shown.overdue:
            if case.overdue_since is None:
                acted += 1
            await _escalate(session, case, today)
        elif shown.working_days_left <= remind_at:
            due = case.deadline.isoformat()
            key = notices.key_of(case, f"reminder:{due}")
            roles = ACTING_ROLES.get(case.status, DECIDING_ROLES)
            if not await repository.notification_sent(session, f"{key}:{roles[0]}"):
                acted += 1
            await notices.tell_regulators(
                session,
                case,
                "reminder",
                f"{_label(case)} is {case.status}; its deadline is {due}, "
                f"{shown.working_days_left} working day(s) left",
                roles=roles,
                key=key,
            )
    return acted
