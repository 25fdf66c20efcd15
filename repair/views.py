"""Objections and repairs as a reader sees them: the deadline running and the days left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.calendar.service import WorkingCalendar, calendar
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today
from repair import deadlines, eligibility, repository, workflow
from repair.eligibility import Eligibility
from repair.models import (
    EvidenceFile,
    Objection,
    ObjectionEvent,
    OwnerKind,
    Repair,
    RepairEvent,
    RepairTarget,
)
from repair.schemas import (
    ConditionPublic,
    DeadlinePublic,
    EligibilityPublic,
    EventPublic,
    EvidencePublic,
    ObjectionDetail,
    ObjectionPublic,
    RepairDetail,
    RepairPublic,
)
from repair.workflow import Case


def _deadline(known: WorkingCalendar, case: Case, today: date) -> DeadlinePublic | None:
    if not workflow.is_open(case) or case.deadline is None:
        return None
    shown = deadlines.view(known, today, case.deadline, case.deadline_exact)
    return DeadlinePublic(
        deadline=shown.deadline,
        working_days_left=shown.working_days_left,
        exact=shown.exact,
        overdue=shown.overdue,
    )


def _case_fields(known: WorkingCalendar, case: Case, today: date) -> dict[str, object]:
    return {
        "id": case.id,
        "subject_id": case.subject_id,
        "target_type": case.target_type,
        "target_id": case.target_id,
        "status": case.status,
        "open": workflow.is_open(case),
        "submitted_at": case.submitted_at,
        "submitted_on": case.submitted_on,
        "accepted_on": case.accepted_on,
        "decided_on": case.decided_on,
        "decision_reason": case.decision_reason,
        "overdue_since": case.overdue_since,
        "deadline": _deadline(known, case, today),
    }


def objection_public(known: WorkingCalendar, objection: Objection, today: date) -> ObjectionPublic:
    return ObjectionPublic(
        **_case_fields(known, objection, today),
        record_id=objection.record_id,
        grounds=objection.grounds,
        requested_outcome=objection.requested_outcome,
        extensions=objection.extensions,
        decided_changes=objection.decided_changes,
    )


def repair_public(known: WorkingCalendar, repair: Repair, today: date) -> RepairPublic:
    return RepairPublic(
        **_case_fields(known, repair, today),
        statement=repair.statement,
        score_effect=repair.score_effect,
    )


async def objections(
    session: AsyncSession, items: Sequence[Objection], today: date | None = None
) -> list[ObjectionPublic]:
    known, day = await calendar(session), today or business_today()
    return [objection_public(known, item, day) for item in items]


async def repairs(
    session: AsyncSession, items: Sequence[Repair], today: date | None = None
) -> list[RepairPublic]:
    known, day = await calendar(session), today or business_today()
    return [repair_public(known, item, day) for item in items]


def _events(actor: Actor, rows: Sequence[ObjectionEvent | RepairEvent]) -> list[EventPublic]:
    hide = not (actor.is_regulator or actor.role is Role.SYSTEM)
    return [
        EventPublic(
            from_status=row.from_status,
            to_status=row.to_status,
            action=row.action,
            actor=None if hide else row.actor,
            actor_role=row.actor_role,
            occurred_at=row.occurred_at,
            reason=row.reason,
            changes=row.changes,
        )
        for row in rows
    ]


def _evidence(rows: Sequence[EvidenceFile]) -> list[EvidencePublic]:
    return [
        EvidencePublic(
            id=row.id or 0,
            purpose=row.purpose,
            file_name=row.file_name,
            media_type=row.media_type,
            size=row.size,
            sha256=row.sha256,
            uploaded_at=row.uploaded_at,
        )
        for row in rows
    ]


async def objection_detail(
    session: AsyncSession, actor: Actor, objection: Objection
) -> ObjectionDetail:
    assert objection.id is not None
    (public,) = await objections(session, [objection])
    events = await repository.objection_events(session, objection.id)
    files = await repository.evidence_of(session, OwnerKind.OBJECTION, objection.id)
    return ObjectionDetail(
        **public.model_dump(), events=_events(actor, events), evidence=_evidence(files)
    )


def eligibility_public(found: Eligibility) -> EligibilityPublic:
    return EligibilityPublic(
        target_type=str(found.target_type),
        target_id=found.target_id,
        subject_id=found.subject_id,
        eligible=found.eligible,
        earliest_on=found.earliest_on,
        documents_required=found.documents_required,
        conditions=[
            ConditionPublic(code=c.code, status=c.status, message=c.message, on=c.on)
            for c in found.conditions
        ],
    )


async def repair_detail(session: AsyncSession, actor: Actor, repair: Repair) -> RepairDetail:
    assert repair.id is not None
    (public,) = await repairs(session, [repair])
    events = await repository.repair_events(session, repair.id)
    files = await repository.evidence_of(session, OwnerKind.REPAIR, repair.id)
    shown = None
    if workflow.is_open(repair):
        found = await eligibility.assess(
            session,
            RepairTarget(repair.target_type),
            repair.target_id,
            today=business_today(),
            repair=repair,
        )
        shown = eligibility_public(found)
    return RepairDetail(
        **public.model_dump(),
        eligibility=shown,
        events=_events(actor, events),
        evidence=_evidence(files),
    )
