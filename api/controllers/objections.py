"""Objections (异议): a subject disputes its record, result, list entry or points; regulators
accept, review and decide them within the pack's working days."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.deps import AppSettings, CurrentActor, DbSession, EntityId
from api.evidence import download, upload
from api.guards import people, regulators, requires_role
from credit.kernel.actor import Role
from credit.kernel.db import ID_MAX
from repair import objections, views
from repair.models import EvidencePurpose, ObjectionStatus, ObjectionTarget
from repair.repository import CaseFilter
from repair.schemas import (
    EvidencePublic,
    ObjectionCreate,
    ObjectionDetail,
    ObjectionPage,
    ObjectionTransition,
)

Cursor = Annotated[str | None, Parameter(max_length=200)]
filers = requires_role(Role.ADMIN, Role.OFFICER, Role.SUBJECT)
ONE = "/{objection_id:int}"


class ObjectionController(Controller):
    path = "/objections"
    tags = ["objections"]

    @post("/", guards=[filers])
    async def file_objection(
        self, data: JSONBody[ObjectionCreate], db_session: DbSession, actor: CurrentActor
    ) -> ObjectionDetail:
        """File an objection with its grounds (required). 404 for a target that is not the
        subject's own; 409 `objection_window` outside the target's window (a record after its
        publication, a list entry before its publicity, a result of a superseded run, points of a
        closed points year); 409 `one_open_objection` while one is open."""
        objection = await objections.file(db_session, actor, data)
        return await views.objection_detail(db_session, actor, objection)

    @get("/", guards=[people])
    async def list_objections(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        status: FromQuery[ObjectionStatus | None] = None,
        target_type: FromQuery[ObjectionTarget | None] = None,
        subject_id: Annotated[int | None, Parameter(ge=1, le=ID_MAX)] = None,
        overdue: FromQuery[bool | None] = None,
        cursor: Cursor = None,
        limit: FromQuery[int] = 50,
    ) -> ObjectionPage:
        """Objections in id order, each open one with its deadline and working days left; a
        subject account sees only its own."""
        filters = CaseFilter(
            status=str(status) if status else None,
            target_type=str(target_type) if target_type else None,
            subject_id=subject_id,
            overdue=overdue,
        )
        page = await objections.page(db_session, actor, filters, cursor=cursor, limit=limit)
        return ObjectionPage(
            items=await views.objections(db_session, page.items), next_cursor=page.next_cursor
        )

    @get(ONE, guards=[people])
    async def read_objection(
        self, objection_id: EntityId, db_session: DbSession, actor: CurrentActor
    ) -> ObjectionDetail:
        """An objection with every event of its procedure and its evidence files."""
        objection = await objections.readable(db_session, actor, objection_id)
        return await views.objection_detail(db_session, actor, objection)

    @post(f"{ONE}/transitions", guards=[regulators], status_code=200)
    async def move_objection(
        self,
        objection_id: EntityId,
        data: JSONBody[ObjectionTransition],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> ObjectionDetail:
        """One step (`to`: accepted, not_accepted, under_review, upheld, partly_upheld,
        dismissed, or extended for the one extension). A decision is a reviewer's other than
        whoever accepted or reviewed it (403 `four_eyes`); an upheld objection revokes the record,
        supersedes results and ends list entries in the same transaction."""
        objection = await objections.move(db_session, actor, objection_id, data)
        return await views.objection_detail(db_session, actor, objection)

    @post(f"{ONE}/evidence", guards=[filers], request_max_body_size=None)
    async def add_objection_evidence(
        self,
        request: Request[Any, Any, Any],
        objection_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
    ) -> EvidencePublic:
        """Attach a PDF, PNG or JPEG (the body, or the multipart field `file`); the content is
        checked, not the name: a disguised file is refused (422 `disguised_file`/`file_type`),
        an oversized one too (413)."""
        objection = await objections.readable(db_session, actor, objection_id)
        return await upload(
            request, db_session, actor, settings, objection, EvidencePurpose.EVIDENCE
        )

    @get(f"{ONE}/evidence/{{evidence_id:int}}", guards=[people])
    async def objection_evidence(
        self,
        objection_id: EntityId,
        evidence_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
    ) -> Response[bytes]:
        """An evidence file as stored; only the subject and regulators can read it."""
        objection = await objections.readable(db_session, actor, objection_id)
        return await download(db_session, settings, objection, evidence_id)
