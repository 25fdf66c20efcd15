"""Reading assignments and reporting feedback, each party within its own scope.

Regulators see every assignment; a partner only its agency's (another agency's is NotFound, as
if it did not exist); a subject account only its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from credit.accounts.api_keys import agency_code_of
from credit.audit import service as audit
from credit.changelog import service as changelog
from credit.changelog.models import ChangedEntity, ChangeOp
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit.kernel.pagination import Page, check_limit, decode_cursor, encode_cursor
from credit.measures import catalog as measure_catalog
from credit.measures import repository
from credit.measures.models import AssignmentStatus, MeasureAssignment, MeasureFeedback
from credit.measures.repository import AssignmentFilter
from credit.measures.schemas import (
    AssignmentDetail,
    AssignmentPublic,
    FeedbackCreate,
    FeedbackReceived,
    assignment_public,
    feedback_public,
)
from credit.policy import regime
from credit.policy import service as policy
from credit.policy.lists import Measure

REPORTERS = frozenset({Role.PARTNER, Role.ADMIN, Role.OFFICER, Role.SYSTEM})


@dataclass(frozen=True, slots=True)
class Viewer:
    """What one party may see: everything, one subject's, or one agency's assignments."""

    everything: bool = False
    subject_id: int | None = None
    agency: str | None = None

    def sees(self, assignment: MeasureAssignment) -> bool:
        if self.everything:
            return True
        if self.subject_id is not None:
            return assignment.subject_id == self.subject_id
        return self.agency is not None and assignment.agency == self.agency


async def viewer_of(session: AsyncSession, actor: Actor) -> Viewer:
    if actor.is_regulator or actor.role is Role.SYSTEM:
        return Viewer(everything=True)
    if actor.role is Role.SUBJECT:
        return Viewer(subject_id=actor.subject_id or 0)
    return Viewer(agency=await agency_code_of(session, actor))


def _missing(assignment_id: int) -> NotFound:
    return NotFound(
        f"measure assignment {assignment_id} does not exist", field="assignment_id", rule="exists"
    )


async def publics(
    session: AsyncSession, assignments: Sequence[MeasureAssignment]
) -> list[AssignmentPublic]:
    """Each assignment with the names its own pack version gave the measure."""
    measures: dict[int, dict[str, Measure]] = {}
    for version_id in {assignment.pack_version_id for assignment in assignments}:
        pack = regime.national_of(await policy.get_version(session, version_id))
        measures[version_id] = {measure.code: measure for measure in pack.measures}
    return [
        assignment_public(
            assignment, measures[assignment.pack_version_id].get(assignment.measure_code)
        )
        for assignment in assignments
    ]


async def _scoped(
    session: AsyncSession, actor: Actor, criteria: AssignmentFilter
) -> AssignmentFilter:
    viewer = await viewer_of(session, actor)
    if criteria.measure_code is not None:
        (await measure_catalog.in_force(session)).require(criteria.measure_code, field="measure")
    if viewer.everything:
        return criteria
    if viewer.subject_id is not None:
        if criteria.subject_id not in (None, viewer.subject_id):
            raise NotFound(
                f"subject {criteria.subject_id} does not exist", field="subject", rule="exists"
            )
        return replace(criteria, subject_id=viewer.subject_id)
    if viewer.agency is None:
        # A key that names no implementing agency has no assignments; no agency code is empty.
        return replace(criteria, agency="")
    if criteria.agency not in (None, viewer.agency):
        raise Forbidden(
            f"this API key reads the assignments of {viewer.agency} only",
            field="agency",
            rule="own_agency",
        )
    return replace(criteria, agency=viewer.agency)


async def listed(
    session: AsyncSession,
    actor: Actor,
    criteria: AssignmentFilter,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[AssignmentPublic]:
    """One page of the assignments `actor` may see, in id order."""
    limit = check_limit(limit)
    scoped = await _scoped(session, actor, criteria)
    rows = await repository.page(session, scoped, after_id=decode_cursor(cursor), limit=limit)
    last = rows[-1].id if rows else None
    next_cursor = encode_cursor(last) if last and len(rows) == limit else None
    return Page(await publics(session, rows), next_cursor)


async def readable(session: AsyncSession, actor: Actor, assignment_id: int) -> MeasureAssignment:
    assignment = await repository.get(session, assignment_id)
    if assignment is None or not (await viewer_of(session, actor)).sees(assignment):
        raise _missing(assignment_id)
    return assignment


async def detail(session: AsyncSession, actor: Actor, assignment_id: int) -> AssignmentDetail:
    """The assignment with every feedback report, oldest first."""
    assignment = await readable(session, actor, assignment_id)
    (public,) = await publics(session, [assignment])
    reports = await repository.feedback_of(session, assignment_id)
    return AssignmentDetail(
        **public.model_dump(), feedback=[feedback_public(report) for report in reports]
    )


async def report_feedback(
    session: AsyncSession, actor: Actor, assignment_id: int, report: FeedbackCreate
) -> FeedbackReceived:
    """Record how the agency implemented an active assignment (实施反馈); logged as MOD."""
    if actor.role not in REPORTERS:
        raise Forbidden(
            "feedback comes from the implementing agency or an officer",
            field="Authorization",
            rule="reporter",
        )
    assignment = await readable(session, actor, assignment_id)
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Conflict(
            f"measure assignment {assignment_id} has ended ({assignment.end_reason}); "
            "feedback is taken while it applies",
            field="status",
            rule="assignment_active",
        )
    if report.occurred_on > business_today():
        raise InvalidInput("occurred_on lies in the future", field="occurred_on", rule="not_future")
    if report.occurred_on < assignment.starts_on:
        raise InvalidInput(
            f"occurred_on is before the assignment started on {assignment.starts_on}",
            field="occurred_on",
            rule="after_start",
        )
    now = utcnow()
    feedback = await repository.add_feedback(
        session,
        MeasureFeedback(
            assignment_id=assignment_id,
            outcome=str(report.outcome),
            occurred_on=report.occurred_on,
            note=report.note,
            agency=assignment.agency,
            actor=actor.name,
            created_at=now,
        ),
    )
    assignment.feedback_outcome = str(report.outcome)
    assignment.feedback_on = report.occurred_on
    assignment.updated_at = now
    await session.flush()
    (public,) = await publics(session, [assignment])
    await changelog.append(
        session,
        entity=ChangedEntity.MEASURE_ASSIGNMENT,
        entity_id=assignment_id,
        op=ChangeOp.MOD,
        subject_id=assignment.subject_id,
        agency=assignment.agency,
        body=public.model_dump(mode="json"),
    )
    await audit.record(
        session,
        actor,
        "measure_assignment.feedback",
        "measure_assignment",
        assignment_id,
        {"outcome": str(report.outcome), "occurred_on": report.occurred_on.isoformat()},
    )
    return FeedbackReceived(feedback=feedback_public(feedback), assignment=public)
