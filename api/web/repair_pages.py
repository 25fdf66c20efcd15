"""The subject portal's credit repair (信用修复): every condition before filing, the request, the
commitment letter to sign, the signed letter and proof of obligations uploaded; and the inbox."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, Parameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import AppSettings, DbSession, EntityId
from api.evidence import download
from api.web import actions, refusals
from api.web.actions import SHOWN, Page, describe
from credit.kernel.actor import Actor
from credit.kernel.errors import DomainError, NotFound
from credit.notifications import service as notifications
from repair import commitment, repairs, views
from repair.models import EvidencePurpose, RepairTarget
from repair.repository import CaseFilter
from repair.schemas import RepairCreate

Cursor = Annotated[str | None, Parameter(max_length=200)]
API_LINKS = {"/api/v1/objections/": "objections", "/api/v1/repairs/": "repairs"}


def _target(target_type: str, target_id: str) -> tuple[RepairTarget, int]:
    if target_type not in set(RepairTarget) or not target_id.isdigit():
        raise NotFoundException()
    return RepairTarget(target_type), int(target_id)


async def _eligibility_page(
    session: AsyncSession,
    actor: Actor,
    target_type: str,
    target_id: str,
    *,
    error: str | None = None,
    statement: str = "",
    status: int = 200,
) -> Template:
    kind, number = _target(target_type, target_id)
    found = await repairs.assess(session, actor, kind, number)
    return Template(
        "portal/repair_eligibility.html",
        context={
            "eligibility": views.eligibility_public(found),
            "target": await describe(session, kind, number),
            "error": error,
            "statement": statement,
        },
        status_code=status,
    )


async def _repair_page(
    session: AsyncSession, actor: Actor, repair_id: int, error: str | None, status: int
) -> Template:
    repair = await repairs.readable(session, actor, repair_id)
    detail = await views.repair_detail(session, actor, repair)
    target = await describe(session, repair.target_type, repair.target_id)
    return Template(
        "portal/repair.html",
        context={"case": detail, "target": target, "error": error},
        status_code=status,
    )


def page_link(link: str | None, actor: Actor) -> str | None:
    """Where a notification's API link is read in the pages: the portal or the console."""
    for prefix, plural in API_LINKS.items():
        if link and link.startswith(prefix) and link[len(prefix) :].isdigit():
            area = "console" if actor.is_regulator else "portal"
            return f"/{area}/{plural}/{link[len(prefix) :]}"
    return None


class PortalRepairPages(Controller):
    path = "/portal"
    include_in_schema = False
    opt = {"public": True}  # each page sends anyone but the subject to the login or a 403

    @get("/repairs")
    async def my_repairs(self, request: Request[Any, Any, Any], db_session: DbSession) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        asked = await repairs.page(db_session, actor, CaseFilter(), cursor=None, limit=SHOWN)
        items = await views.repairs(db_session, asked.items)
        return Template("portal/repairs.html", context={"items": items[::-1]})

    @get("/repairs/eligibility")
    async def eligibility(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        target_type: FromQuery[str] = "",
        target_id: FromQuery[str] = "",
    ) -> Page:
        """Every condition, met or not (with the day it will be), before anything is filed."""
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        return await _eligibility_page(db_session, actor, target_type, target_id)

    @post("/repairs", status_code=303)
    async def file_repair(self, request: Request[Any, Any, Any], db_session: DbSession) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        form = await actions.posted(request)
        values = {
            "target_type": actions.field(form, "target_type"),
            "target_id": actions.field(form, "target_id"),
            "statement": actions.optional(form, "statement"),
        }

        async def change() -> Any:
            return await repairs.file(db_session, actor, actions.validated(RepairCreate, values))

        outcome = await actions.attempt(db_session, change)
        if isinstance(outcome, NotFound):
            raise outcome
        if isinstance(outcome, DomainError):
            return await _eligibility_page(
                db_session,
                actor,
                values["target_type"] or "",
                values["target_id"] or "",
                error=refusals.explain(actions.language(request), outcome),
                statement=values["statement"] or "",
                status=outcome.status_code,
            )
        return Redirect(f"/portal/repairs/{outcome.id}?done=filed", status_code=303)

    @get("/repairs/{repair_id:int}")
    async def repair_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, repair_id: EntityId
    ) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        return await _repair_page(db_session, actor, repair_id, None, 200)

    @get("/repairs/{repair_id:int}/commitment", media_type=MediaType.HTML)
    async def commitment_letter(
        self, request: Request[Any, Any, Any], db_session: DbSession, repair_id: EntityId
    ) -> Page:
        """The repair commitment (信用修复承诺书) to print, sign and upload."""
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        repair = await repairs.readable(db_session, actor, repair_id)
        letter = await commitment.render(db_session, repair)
        return Response(letter, media_type=MediaType.HTML)

    @post("/repairs/{repair_id:int}/evidence", status_code=303)
    async def add_repair_document(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        repair_id: EntityId,
    ) -> Page:
        """The signed commitment, proof of obligations, a training certificate or evidence."""
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        repair = await repairs.readable(db_session, actor, repair_id)
        form = await actions.posted(request)
        upload = actions.chosen_file(form)
        purpose = actions.field(form, "purpose")
        if upload is None or purpose not in set(EvidencePurpose):
            return await _repair_page(
                db_session, actor, repair_id, refusals.missing_file(request), 422
            )
        outcome = await actions.attempt(
            db_session,
            lambda: actions.keep_upload(
                db_session, actor, settings, repair, EvidencePurpose(purpose), upload
            ),
        )
        if isinstance(outcome, DomainError):
            message = refusals.explain(actions.language(request), outcome)
            return await _repair_page(db_session, actor, repair_id, message, outcome.status_code)
        return Redirect(f"/portal/repairs/{repair_id}?done=evidence", status_code=303)

    @get("/repairs/{repair_id:int}/evidence/{evidence_id:int}")
    async def repair_document(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        repair_id: EntityId,
        evidence_id: EntityId,
    ) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        repair = await repairs.readable(db_session, actor, repair_id)
        file: Response[bytes] = await download(db_session, settings, repair, evidence_id)
        return file

    @get("/inbox")
    async def inbox(
        self, request: Request[Any, Any, Any], db_session: DbSession, cursor: Cursor = None
    ) -> Page:
        """Any signed-in account's notifications, unread first."""
        actor = actions.account_reader(request)
        if not isinstance(actor, Actor):
            return actor
        assert actor.account_id is not None
        found = await notifications.inbox(db_session, actor.account_id, cursor=cursor, limit=50)
        links = {item.id: page_link(item.link, actor) for item in found.items}
        return Template("portal/inbox.html", context={"inbox": found, "links": links})

    @post("/inbox/{item_id:int}/read", status_code=303)
    async def mark_read(
        self, request: Request[Any, Any, Any], db_session: DbSession, item_id: EntityId
    ) -> Page:
        actor = actions.account_reader(request)
        if not isinstance(actor, Actor):
            return actor
        assert actor.account_id is not None
        await notifications.mark_read(db_session, actor.account_id, item_id)
        return Redirect("/portal/inbox", status_code=303)
