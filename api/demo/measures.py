"""Demo measures: assignments derived from every subject's standing, and some agency feedback.

Runs after the evaluations and the list entries, so published grades, lists in force, points and
qualification statuses all have their say; then a demo officer reports how a few assignments of
each agency were implemented (applied, not applicable, failed).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor, Role
from credit.measures import assignments
from credit.measures.models import AssignmentStatus, FeedbackOutcome, MeasureAssignment
from credit.measures.schemas import FeedbackCreate
from credit.subjects.models import SUBJECT_TABLE
from indicators import standing

OFFICER = Actor(role=Role.OFFICER, name="demo-officer")
FEEDBACK_PER_AGENCY = 3
NOTES = {
    FeedbackOutcome.APPLIED: "已按联合奖惩措施清单实施",
    FeedbackOutcome.NOT_APPLICABLE: "该主体本期无相关业务，不适用",
    FeedbackOutcome.FAILED: "系统对接未完成，待下期实施",
}


async def load_measures(session: AsyncSession) -> dict[str, int]:
    """Derive every subject's measures, report feedback on a few; counts by status and outcome."""
    subject_ids = [
        int(value) for value in (await session.execute(select(SUBJECT_TABLE.c.id))).scalars()
    ]
    report = await standing.refresh(session, subject_ids)
    query = (
        select(MeasureAssignment)
        .where(MeasureAssignment.status == str(AssignmentStatus.ACTIVE))  # type: ignore[arg-type]
        .order_by(MeasureAssignment.id)  # type: ignore[arg-type]
    )
    reported: Counter[str] = Counter()
    per_agency: Counter[str] = Counter()
    outcomes = list(FeedbackOutcome)
    active = (await session.execute(query)).scalars().all()
    for assignment in active:
        if per_agency[assignment.agency] >= FEEDBACK_PER_AGENCY or assignment.id is None:
            continue
        outcome = outcomes[per_agency[assignment.agency] % len(outcomes)]
        per_agency[assignment.agency] += 1
        feedback = FeedbackCreate(
            outcome=outcome, occurred_on=assignment.starts_on, note=NOTES[outcome]
        )
        await assignments.report_feedback(session, OFFICER, assignment.id, feedback)
        reported[str(outcome)] += 1
    # Entries published earlier in the demo already started their measures: count what holds.
    return {"assigned": len(active), "ended": report.ended, **reported}
