"""Joint measures: the catalog in force, assignments in each party's scope, agency feedback."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.deps import CurrentActor, DbSession, EntityId
from api.guards import people, requires_role
from credit.kernel.actor import Role
from credit.kernel.db import ID_MAX
from credit.measures import assignments
from credit.measures import catalog as measure_catalog
from credit.measures.models import AssignmentStatus
from credit.measures.repository import AssignmentFilter
from credit.measures.schemas import (
    AssignmentDetail,
    AssignmentPage,
    FeedbackCreate,
    FeedbackReceived,
    MeasureCatalogPublic,
    measure_public,
)

Cursor = Annotated[str | None, Parameter(max_length=200)]
Limit = Annotated[int, Parameter(ge=1, le=500)]
SubjectFilter = Annotated[int | None, Parameter(ge=1, le=ID_MAX)]
CodeFilter = Annotated[str | None, Parameter(max_length=64)]

# Partners read and report on their agency's assignments, subjects their own.
readers = requires_role(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.SUBJECT, Role.PARTNER)
reporters = requires_role(Role.ADMIN, Role.OFFICER, Role.PARTNER)


class MeasureController(Controller):
    path = "/"
    tags = ["measures"]

    @get("/measures", opt={"public": True})
    async def list_measures(
        self, db_session: DbSession, on: FromQuery[date | None] = None
    ) -> MeasureCatalogPublic:
        """The catalog of joint measures in force on `on` (today): public regulatory information."""
        found = await measure_catalog.in_force(db_session, on)
        return MeasureCatalogPublic(
            items=[measure_public(measure) for measure in found.measures],
            pack_version_id=found.pack_version_id,
            pack_version=found.pack_version,
        )

    @get("/measure-assignments", guards=[readers])
    async def list_assignments(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        subject: SubjectFilter = None,
        agency: CodeFilter = None,
        measure: CodeFilter = None,
        status: FromQuery[AssignmentStatus | None] = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> AssignmentPage:
        """Assignments in id order: a partner sees its agency's, a subject its own."""
        criteria = AssignmentFilter(
            subject_id=subject, agency=agency, measure_code=measure, status=status
        )
        page = await assignments.listed(db_session, actor, criteria, cursor=cursor, limit=limit)
        return AssignmentPage(items=page.items, next_cursor=page.next_cursor)

    @get("/measure-assignments/{assignment_id:int}", guards=[readers])
    async def read_assignment(
        self, assignment_id: EntityId, db_session: DbSession, actor: CurrentActor
    ) -> AssignmentDetail:
        """One assignment with its feedback; outside the caller's scope it does not exist."""
        return await assignments.detail(db_session, actor, assignment_id)

    @post("/measure-assignments/{assignment_id:int}/feedback", guards=[reporters])
    async def report_feedback(
        self,
        assignment_id: EntityId,
        data: JSONBody[FeedbackCreate],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> FeedbackReceived:
        """实施反馈: applied / not_applicable / failed, on a date not in the future, with a note."""
        return await assignments.report_feedback(db_session, actor, assignment_id, data)

    @get("/subjects/{subject_id:int}/measures", guards=[people])
    async def subject_measures(
        self,
        subject_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
        status: FromQuery[AssignmentStatus | None] = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> AssignmentPage:
        """A subject's measures; a subject account reads its own only."""
        criteria = AssignmentFilter(subject_id=subject_id, status=status)
        page = await assignments.listed(db_session, actor, criteria, cursor=cursor, limit=limit)
        return AssignmentPage(items=page.items, next_cursor=page.next_cursor)
