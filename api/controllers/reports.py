"""A subject's credit report: regulators read any, a subject account only its own."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentActor, DbSession, Pii
from api.guards import people
from credit.kernel.actor import Actor
from credit.records import history, views
from credit.records.repository import RecordFilter
from credit.subjects.pii import PersonalIdentifiers
from indicators import report
from indicators.schemas import (
    ID_MAX,
    CreditReportPublic,
    EvaluationResultPublic,
    GradeHistoryEntry,
    LiveScorePublic,
)

RECENT_RECORDS = 50


class SubjectReportController(Controller):
    path = "/subjects/{subject_id:int}/report"
    tags = ["subjects"]
    guards = [people]

    @get("/")
    async def read_credit_report(
        self,
        subject_id: Annotated[int, Parameter(ge=1, le=ID_MAX)],
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
    ) -> CreditReportPublic:
        """Published grade, live score with its reasons, grade history and recent records."""
        return await credit_report(db_session, actor, pii, subject_id)


async def credit_report(
    db_session: AsyncSession, actor: Actor, pii: PersonalIdentifiers, subject_id: int
) -> CreditReportPublic:
    """The report as the JSON API and the portal page both answer it."""
    found = await report.report(db_session, actor, subject_id)
    page = await history.credit_file(
        db_session, actor, subject_id, RecordFilter(), limit=RECENT_RECORDS
    )
    records = await views.public_records(db_session, actor, pii, page.items)
    return CreditReportPublic(
        subject_id=subject_id,
        name=found.subject.name,
        kind=found.subject.kind,
        current=EvaluationResultPublic.model_validate(found.current[0]) if found.current else None,
        current_cycle=found.current[1].cycle if found.current else None,
        live=LiveScorePublic.model_validate(found.live) if found.live else None,
        history=[GradeHistoryEntry.model_validate(entry) for entry in found.history],
        records=records,
    )
