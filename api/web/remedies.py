"""The subject portal's remedies: what the subject may dispute or repair, its open items with
their deadlines, and objections filed with evidence from a form (repairs: `repair_pages`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import AppSettings, DbSession, EntityId, Pii
from api.evidence import download
from api.settings import Settings
from api.web import actions, refusals, repair_pages
from api.web.actions import SHOWN, Page, describe
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today
from credit.kernel.errors import Conflict, DomainError, NotFound
from credit.lists import service as list_service
from credit.lists.repository import EntryFilter
from credit.policy.vocabulary import ListName
from credit.records import history
from credit.records import views as record_views
from credit.records.repository import RecordFilter
from credit.subjects.pii import PersonalIdentifiers
from indicators import dashboard, supersede
from indicators import repository as results
from indicators.models import RunStatus
from repair import objections, repairs, targets, views
from repair.models import EvidencePurpose, ObjectionTarget
from repair.repository import CaseFilter
from repair.schemas import ObjectionCreate


async def _entries(session: AsyncSession, actor: Actor) -> list[Any]:
    found = []
    for name in ListName:
        page = await list_service.entries(
            session, actor, name, EntryFilter(), cursor=None, limit=SHOWN
        )
        found += page.items
    return found


async def _results(session: AsyncSession, subject_id: int) -> list[tuple[Any, Any]]:
    """The subject's results open to objection: in publicity (公示) or published."""
    found = [
        (result, run)
        for run in await dashboard.waiting_runs(session)
        if run.status == RunStatus.PUBLICITY
        for result in await results.results(session, run.id or 0, subject_id=subject_id)
    ]
    return found + await supersede.current_results(session, subject_id)


async def overview(session: AsyncSession, actor: Actor, pii: PersonalIdentifiers) -> dict[str, Any]:
    assert actor.subject_id is not None
    mine = CaseFilter()
    filed = await objections.page(session, actor, mine, cursor=None, limit=SHOWN)
    asked = await repairs.page(session, actor, mine, cursor=None, limit=SHOWN)
    cases = [
        *(("objection", item) for item in await views.objections(session, filed.items)),
        *(("repair", item) for item in await views.repairs(session, asked.items)),
    ]
    running = sorted(
        (case for case in cases if case[1].open),
        key=lambda case: (case[1].deadline is None, case[1].deadline and case[1].deadline.deadline),
    )
    page = await history.credit_file(session, actor, actor.subject_id, RecordFilter(), limit=50)
    return {
        "running": running,
        "records": await record_views.public_records(session, actor, pii, page.items),
        "entries": await _entries(session, actor),
        "results": await _results(session, actor.subject_id),
        "today": business_today(),
    }


async def _target_form(
    session: AsyncSession, actor: Actor, target_type: str, target_id: str
) -> tuple[dict[str, Any], str | None]:
    """The disputed target and why it can not be disputed now (None: it can); NotFound for
    anything that is not the subject's own."""
    if target_type not in set(ObjectionTarget) or not target_id.isdigit():
        raise NotFoundException()
    kind, number = ObjectionTarget(target_type), int(target_id)
    closed = None
    try:
        found = await targets.resolve(
            session,
            kind,
            number,
            objector_id=actor.subject_id if kind is ObjectionTarget.POINTS else None,
            record_id=None,
            today=business_today(),
        )
        targets.ensure_own(actor, found, kind, number)
    except Conflict as refused:
        closed = refused.message
    return await describe(session, kind, number), closed


class PortalRemedyPages(Controller):
    path = "/portal"
    include_in_schema = False
    opt = {"public": True}  # each page sends anyone but the subject to the login or a 403

    @get("/remedies")
    async def remedies(
        self, request: Request[Any, Any, Any], db_session: DbSession, pii: Pii
    ) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        context = await overview(db_session, actor, pii)
        return Template("portal/remedies.html", context=context)

    @get("/objections")
    async def my_objections(self, request: Request[Any, Any, Any], db_session: DbSession) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        filed = await objections.page(db_session, actor, CaseFilter(), cursor=None, limit=SHOWN)
        items = await views.objections(db_session, filed.items)
        return Template("portal/objections.html", context={"items": items[::-1]})

    @get("/objections/new")
    async def objection_form(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        target_type: FromQuery[str] = "",
        target_id: FromQuery[str] = "",
    ) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        target, closed = await _target_form(db_session, actor, target_type, target_id)
        return Template(
            "portal/objection_form.html",
            context={"target": target, "closed": closed, "error": None, "grounds": "", "wish": ""},
            status_code=409 if closed else 200,
        )

    @post("/objections", status_code=303)
    async def file_objection(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Page:
        """Grounds and an optional evidence file, kept together or not at all."""
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        form = await actions.posted(request)
        values = {
            "target_type": actions.field(form, "target_type"),
            "target_id": actions.field(form, "target_id"),
            "grounds": actions.optional(form, "grounds"),
            "requested_outcome": actions.optional(form, "requested_outcome"),
        }
        upload = actions.chosen_file(form)

        async def change() -> Any:
            data = actions.validated(ObjectionCreate, values)
            objection = await objections.file(db_session, actor, data)
            if upload is not None:
                await actions.keep_upload(
                    db_session, actor, settings, objection, EvidencePurpose.EVIDENCE, upload
                )
            return objection

        outcome = await actions.attempt(db_session, change)
        if isinstance(outcome, NotFound):
            raise outcome
        if isinstance(outcome, DomainError):
            target, closed = await _target_form(
                db_session, actor, values["target_type"] or "", values["target_id"] or ""
            )
            context = {
                "target": target,
                "closed": closed,
                "error": refusals.explain(actions.language(request), outcome),
                "grounds": values["grounds"] or "",
                "wish": values["requested_outcome"] or "",
            }
            return Template(
                "portal/objection_form.html", context=context, status_code=outcome.status_code
            )
        return Redirect(f"/portal/objections/{outcome.id}?done=filed", status_code=303)

    @get("/objections/{objection_id:int}")
    async def objection_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, objection_id: EntityId
    ) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        return await _objection_page(db_session, actor, objection_id, None, 200)

    @post("/objections/{objection_id:int}/evidence", status_code=303)
    async def add_objection_evidence(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        objection_id: EntityId,
    ) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        objection = await objections.readable(db_session, actor, objection_id)
        upload = actions.chosen_file(await actions.posted(request))
        if upload is None:
            return await _objection_page(
                db_session, actor, objection_id, refusals.missing_file(request), 422
            )
        outcome = await actions.attempt(
            db_session,
            lambda: actions.keep_upload(
                db_session, actor, settings, objection, EvidencePurpose.EVIDENCE, upload
            ),
        )
        if isinstance(outcome, DomainError):
            message = refusals.explain(actions.language(request), outcome)
            return await _objection_page(
                db_session, actor, objection_id, message, outcome.status_code
            )
        return Redirect(f"/portal/objections/{objection_id}?done=evidence", status_code=303)

    @get("/objections/{objection_id:int}/evidence/{evidence_id:int}")
    async def objection_evidence(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        objection_id: EntityId,
        evidence_id: EntityId,
    ) -> Page:
        actor = actions.subject_reader(request)
        if not isinstance(actor, Actor):
            return actor
        objection = await objections.readable(db_session, actor, objection_id)
        file: Response[bytes] = await download(db_session, settings, objection, evidence_id)
        return file


async def _objection_page(
    session: AsyncSession, actor: Actor, objection_id: int, error: str | None, status: int
) -> Template:
    objection = await objections.readable(session, actor, objection_id)
    detail = await views.objection_detail(session, actor, objection)
    target = await describe(session, objection.target_type, objection.target_id)
    return Template(
        "portal/objection.html",
        context={"case": detail, "target": target, "error": error},
        status_code=status,
    )


def router(settings: Settings) -> Router:
    """The portal's remedy pages; a posted body holds at most one evidence file and its form."""
    return Router(
        path="/",
        route_handlers=[PortalRemedyPages, repair_pages.PortalRepairPages],
        request_max_body_size=actions.body_limit(settings),
    )
