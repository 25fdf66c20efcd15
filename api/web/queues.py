"""The regulator console's work queues: objections, repairs, list proposals and runs to publish,
overdue and nearest deadline first, each with the steps its procedure allows as forms.

Every step runs in a savepoint: a refused one (409 state, 403 four-eyes or role, 422 missing
reason) comes back on the same page, in the reader's language, with nothing changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import AppSettings, DbSession, EntityId
from api.evidence import download
from api.web import actions, refusals
from api.web.actions import Page, describe
from credit.kernel.actor import Actor, Role
from credit.kernel.errors import DomainError, Forbidden, InvalidInput
from credit.lists import dashboard as lists_dashboard
from credit.lists import service as list_service
from credit.lists import steps
from credit.lists.schemas import TransitionInput
from credit.lists.workflow import PROCEDURES
from credit.policy.vocabulary import ListName
from credit.subjects.service import get_subject
from indicators import dashboard, runs
from indicators.models import RunStatus
from repair import objections, repairs, repository, views, workflow
from repair.models import ObjectionStatus, RepairStatus
from repair.schemas import ObjectionTransition, RepairTransition

RUN_STEPS = {
    RunStatus.COMPUTED: RunStatus.IN_REVIEW,
    RunStatus.IN_REVIEW: RunStatus.PUBLICITY,
    RunStatus.PUBLICITY: RunStatus.PUBLISHED,
}
# As the evaluation API guards them: officers submit for review, reviewers open and publish.
RUN_ROLES = {
    RunStatus.IN_REVIEW: frozenset({Role.ADMIN, Role.OFFICER}),
    RunStatus.PUBLICITY: frozenset({Role.ADMIN, Role.REVIEWER}),
    RunStatus.PUBLISHED: frozenset({Role.ADMIN, Role.REVIEWER}),
}
LIST_STEP_FIELDS = ("to", "reason", "defence_considered", "valid_years")


def _by_deadline(items: list[Any]) -> list[Any]:
    """Overdue first, then the nearest deadline; cases without a running deadline last."""
    return sorted(
        items,
        key=lambda item: (item.deadline is None, item.deadline and item.deadline.deadline, item.id),
    )


async def _names(session: AsyncSession, subject_ids: set[int]) -> dict[int, str]:
    return {subject_id: (await get_subject(session, subject_id)).name for subject_id in subject_ids}


async def _step(session: AsyncSession, change: Callable[[], Awaitable[Any]]) -> DomainError | None:
    """Run one step; None when done, else the refusal (nothing changed)."""
    outcome = await actions.attempt(session, change)
    return outcome if isinstance(outcome, DomainError) else None


def _say(request: Request[Any, Any, Any], refused: DomainError) -> str:
    return refusals.explain(actions.language(request), refused)


def _amounts(form: Any) -> dict[str, Any] | None:
    given = {name: actions.field(form, name) for name in ("fine_amount", "amount_involved")}
    return {name: value for name, value in given.items() if value} or None


def _entry_changes(form: Any) -> dict[str, Any] | None:
    given = {name: actions.field(form, name) for name in ("valid_until", "legal_basis")}
    return {name: value for name, value in given.items() if value} or None


class ConsoleQueuePages(Controller):
    path = "/console"
    include_in_schema = False
    opt = {"public": True}  # each page sends anyone but a regulator to the login or a 403

    @get("/objections")
    async def objection_queue(self, request: Request[Any, Any, Any], db_session: DbSession) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        items = _by_deadline(
            await views.objections(db_session, await repository.open_objections(db_session))
        )
        names = await _names(db_session, {item.subject_id for item in items})
        return Template("console/objections.html", context={"items": items, "names": names})

    @get("/objections/{objection_id:int}")
    async def objection_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, objection_id: EntityId
    ) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        return await _objection(db_session, actor, objection_id, None, 200)

    @post("/objections/{objection_id:int}/steps", status_code=303)
    async def objection_step(
        self, request: Request[Any, Any, Any], db_session: DbSession, objection_id: EntityId
    ) -> Page:
        """Accept, refuse, open the review, decide, or extend the deadline once."""
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        await objections.readable(db_session, actor, objection_id)  # 404 before anything else
        form = await actions.posted(request)
        values = {
            "to": actions.field(form, "to"),
            "reason": actions.optional(form, "reason"),
            "corrections": _amounts(form),
            "entry_changes": _entry_changes(form),
        }

        async def change() -> Any:
            step = actions.validated(ObjectionTransition, values)
            return await objections.move(db_session, actor, objection_id, step)

        refused = await _step(db_session, change)
        if refused is not None:
            message = _say(request, refused)
            return await _objection(db_session, actor, objection_id, message, refused.status_code)
        done = values["to"]
        return Redirect(f"/console/objections/{objection_id}?done={done}", status_code=303)

    @get("/objections/{objection_id:int}/evidence/{evidence_id:int}")
    async def objection_evidence(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        objection_id: EntityId,
        evidence_id: EntityId,
    ) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        objection = await objections.readable(db_session, actor, objection_id)
        file: Response[bytes] = await download(db_session, settings, objection, evidence_id)
        return file

    @get("/repairs")
    async def repair_queue(self, request: Request[Any, Any, Any], db_session: DbSession) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        items = _by_deadline(
            await views.repairs(db_session, await repository.open_repairs(db_session))
        )
        names = await _names(db_session, {item.subject_id for item in items})
        return Template("console/repairs.html", context={"items": items, "names": names})

    @get("/repairs/{repair_id:int}")
    async def repair_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, repair_id: EntityId
    ) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        return await _repair(db_session, actor, repair_id, None, 200)

    @post("/repairs/{repair_id:int}/steps", status_code=303)
    async def repair_step(
        self, request: Request[Any, Any, Any], db_session: DbSession, repair_id: EntityId
    ) -> Page:
        """Accept (with every document there), refuse, review, approve or reject."""
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        await repairs.readable(db_session, actor, repair_id)
        form = await actions.posted(request)
        values = {"to": actions.field(form, "to"), "reason": actions.optional(form, "reason")}

        async def change() -> Any:
            step = actions.validated(RepairTransition, values)
            return await repairs.move(db_session, actor, repair_id, step)

        refused = await _step(db_session, change)
        if refused is not None:
            message = _say(request, refused)
            return await _repair(db_session, actor, repair_id, message, refused.status_code)
        return Redirect(f"/console/repairs/{repair_id}?done={values['to']}", status_code=303)

    @get("/repairs/{repair_id:int}/evidence/{evidence_id:int}")
    async def repair_document(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        repair_id: EntityId,
        evidence_id: EntityId,
    ) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        repair = await repairs.readable(db_session, actor, repair_id)
        file: Response[bytes] = await download(db_session, settings, repair, evidence_id)
        return file

    @get("/lists")
    async def list_queue(self, request: Request[Any, Any, Any], db_session: DbSession) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        return await _lists(db_session, None, 200)

    @post("/lists/{list_name:str}/{entry_id:int}/steps", status_code=303)
    async def list_step(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        list_name: FromPath[str],
        entry_id: EntityId,
    ) -> Page:
        """One step of a list procedure (credit.lists.steps.move)."""
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        if list_name not in set(ListName):
            raise NotFoundException()
        name = ListName(list_name)
        await list_service.get_entry(db_session, name, entry_id)
        form = await actions.posted(request)
        values = {key: actions.optional(form, key) for key in LIST_STEP_FIELDS}

        async def change() -> Any:
            step = actions.validated(TransitionInput, values)
            return await steps.move(db_session, actor, name, entry_id, step)

        refused = await _step(db_session, change)
        if refused is not None:
            return await _lists(db_session, _say(request, refused), refused.status_code)
        return Redirect(f"/console/lists?done={values['to']}", status_code=303)

    @get("/runs")
    async def run_queue(self, request: Request[Any, Any, Any], db_session: DbSession) -> Page:
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        return await _runs(db_session, None, 200)

    @post("/runs/{run_id:int}/steps", status_code=303)
    async def run_step(
        self, request: Request[Any, Any, Any], db_session: DbSession, run_id: EntityId
    ) -> Page:
        """Submit for review, open publicity (公示) or publish (indicators.runs.advance)."""
        actor = actions.regulator_reader(request)
        if not isinstance(actor, Actor):
            return actor
        await runs.get_run(db_session, run_id)
        form = await actions.posted(request)
        to = actions.field(form, "to")
        reason = actions.optional(form, "reason")

        async def change() -> Any:
            if to not in RUN_ROLES:
                raise InvalidInput(
                    f"a run moves to {', '.join(RUN_ROLES)}", field="to", rule="schema"
                )
            step = RunStatus(to)
            if actor.role not in RUN_ROLES[step]:
                raise Forbidden(f"role {actor.role} may not move a run to {step}", rule="role")
            return await runs.advance(db_session, actor, run_id, step, reason=reason)

        refused = await _step(db_session, change)
        if refused is not None:
            return await _runs(db_session, _say(request, refused), refused.status_code)
        return Redirect(f"/console/runs?done={to}", status_code=303)


async def _objection(
    session: AsyncSession, actor: Actor, objection_id: int, error: str | None, status: int
) -> Template:
    objection = await objections.readable(session, actor, objection_id)
    detail = await views.objection_detail(session, actor, objection)
    current = ObjectionStatus(objection.status)
    context = {
        "case": detail,
        "target": await describe(session, objection.target_type, objection.target_id),
        "subject": await get_subject(session, objection.subject_id),
        "steps": sorted(str(to) for to in workflow.OBJECTION.targets(current)),
        "extendable": current in (ObjectionStatus.ACCEPTED, ObjectionStatus.UNDER_REVIEW),
        "error": error,
    }
    return Template("console/objection.html", context=context, status_code=status)


async def _repair(
    session: AsyncSession, actor: Actor, repair_id: int, error: str | None, status: int
) -> Template:
    repair = await repairs.readable(session, actor, repair_id)
    detail = await views.repair_detail(session, actor, repair)
    context = {
        "case": detail,
        "target": await describe(session, repair.target_type, repair.target_id),
        "subject": await get_subject(session, repair.subject_id),
        "steps": sorted(str(to) for to in workflow.REPAIR.targets(RepairStatus(repair.status))),
        "error": error,
    }
    return Template("console/repair.html", context=context, status_code=status)


async def _lists(session: AsyncSession, error: str | None, status: int) -> Template:
    entries = await lists_dashboard.awaiting_decision(session, limit=200)
    names = await _names(session, {entry.subject_id for entry in entries})
    allowed = {
        entry.id: sorted(
            str(to)
            for to in PROCEDURES[ListName(entry.list_name)].targets(entry.status)  # type: ignore[arg-type]
        )
        for entry in entries
    }
    return Template(
        "console/lists.html",
        context={"entries": entries, "names": names, "allowed": allowed, "error": error},
        status_code=status,
    )


async def _runs(session: AsyncSession, error: str | None, status: int) -> Template:
    waiting = await dashboard.waiting_runs(session)
    next_step = {run.id: str(RUN_STEPS[RunStatus(run.status)]) for run in waiting}
    return Template(
        "console/runs.html",
        context={"runs": waiting, "next_step": next_step, "error": error},
        status_code=status,
    )
