"""Credit repair (信用修复): eligibility before filing, the commitment letter, the request with
its documents, and the four-eyes decision."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.deps import AppSettings, CurrentActor, DbSession, EntityId
from api.evidence import download, upload
from api.guards import people, regulators, requires_role
from credit.kernel.actor import Role
from credit.kernel.db import ID_MAX
from credit.kernel.errors import InvalidInput
from repair import commitment, repairs, views
from repair.models import EvidencePurpose, RepairStatus, RepairTarget
from repair.repository import CaseFilter
from repair.schemas import (
    EligibilityPublic,
    EvidencePublic,
    RepairCreate,
    RepairDetail,
    RepairPage,
    RepairTransition,
)

Cursor = Annotated[str | None, Parameter(max_length=200)]
OptionalId = Annotated[int | None, Parameter(ge=1, le=ID_MAX)]
filers = requires_role(Role.ADMIN, Role.OFFICER, Role.SUBJECT)
ONE = "/{repair_id:int}"


class RepairController(Controller):
    path = "/repairs"
    tags = ["repairs"]

    @get("/eligibility", guards=[people])
    async def repair_eligibility(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        record_id: OptionalId = None,
        list_entry_id: OptionalId = None,
    ) -> EligibilityPublic:
        """Every condition of the pack for repairing a record or leaving a list, each met,
        unmet (with the date it will be met) or a document still to upload."""
        if (record_id is None) == (list_entry_id is None):
            raise InvalidInput(
                "name either record_id or list_entry_id", field="record_id", rule="one_target"
            )
        target = RepairTarget.RECORD if record_id is not None else RepairTarget.LIST_ENTRY
        target_id = record_id if record_id is not None else list_entry_id
        assert target_id is not None
        found = await repairs.assess(db_session, actor, target, target_id)
        return views.eligibility_public(found)

    @post("/", guards=[filers])
    async def file_repair(
        self, data: JSONBody[RepairCreate], db_session: DbSession, actor: CurrentActor
    ) -> RepairDetail:
        """Ask for a repair; 422 naming every unmet condition (`not_repairable`,
        `minimum_period` with the date, `new_negative_record`, `repair_interval`,
        `repair_limit`) and nothing stored."""
        repair = await repairs.file(db_session, actor, data)
        return await views.repair_detail(db_session, actor, repair)

    @get("/", guards=[people])
    async def list_repairs(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        status: FromQuery[RepairStatus | None] = None,
        target_type: FromQuery[RepairTarget | None] = None,
        subject_id: OptionalId = None,
        overdue: FromQuery[bool | None] = None,
        cursor: Cursor = None,
        limit: FromQuery[int] = 50,
    ) -> RepairPage:
        """Repairs in id order, each open one with its deadline and working days left."""
        filters = CaseFilter(
            status=str(status) if status else None,
            target_type=str(target_type) if target_type else None,
            subject_id=subject_id,
            overdue=overdue,
        )
        page = await repairs.page(db_session, actor, filters, cursor=cursor, limit=limit)
        return RepairPage(
            items=await views.repairs(db_session, page.items), next_cursor=page.next_cursor
        )

    @get(ONE, guards=[people])
    async def read_repair(
        self, repair_id: EntityId, db_session: DbSession, actor: CurrentActor
    ) -> RepairDetail:
        """A repair with its conditions as they stand, its events and documents."""
        repair = await repairs.readable(db_session, actor, repair_id)
        return await views.repair_detail(db_session, actor, repair)

    @post(f"{ONE}/transitions", guards=[regulators], status_code=200)
    async def move_repair(
        self,
        repair_id: EntityId,
        data: JSONBody[RepairTransition],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> RepairDetail:
        """One step (`to`: accepted, not_accepted, under_review, approved, rejected). Accepting
        needs the signed commitment and proof of obligations (409 `documents_missing`); the
        decision is a reviewer's other than whoever accepted or reviewed it (403 `four_eyes`)."""
        repair = await repairs.move(db_session, actor, repair_id, data)
        return await views.repair_detail(db_session, actor, repair)

    @get(f"{ONE}/commitment", guards=[people], media_type=MediaType.HTML)
    async def repair_commitment(
        self, repair_id: EntityId, db_session: DbSession, actor: CurrentActor
    ) -> str:
        """The repair commitment (信用修复承诺书) to print, sign and upload."""
        repair = await repairs.readable(db_session, actor, repair_id)
        return await commitment.render(db_session, repair)

    @post(f"{ONE}/evidence", guards=[filers], request_max_body_size=None)
    async def add_repair_evidence(
        self,
        request: Request[Any, Any, Any],
        repair_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        purpose: FromQuery[EvidencePurpose] = EvidencePurpose.EVIDENCE,
    ) -> EvidencePublic:
        """Attach a PDF, PNG or JPEG of `purpose` (commitment, obligation, training or
        evidence); checked by content, 413 when too large."""
        repair = await repairs.readable(db_session, actor, repair_id)
        return await upload(request, db_session, actor, settings, repair, purpose)

    @get(f"{ONE}/evidence/{{evidence_id:int}}", guards=[people])
    async def repair_evidence(
        self,
        repair_id: EntityId,
        evidence_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
    ) -> Response[bytes]:
        """A document as stored; only the subject and regulators can read it."""
        repair = await repairs.readable(db_session, actor, repair_id)
        return await download(db_session, settings, repair, evidence_id)
