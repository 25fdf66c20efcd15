"""The subject portal: a subject account's own credit report, list entries and measures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from api.controllers.reports import credit_report
from api.deps import DbSession, Pii
from api.web import i18n
from api.web.charts import line_chart
from credit.kernel.actor import Actor, Role
from credit.measures import catalog as measure_catalog
from credit.measures import repository as measures

SCORE_TOP = 100  # scores are percentages of the profile's scale in every shipped profile


def signed_in(request: Request[Any, Any, Any]) -> Actor | None:
    actor = request.scope.get("user")
    return actor if isinstance(actor, Actor) else None


def to_login(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(f"/login?next={request.url.path}", status_code=303)


class PortalPages(Controller):
    path = "/portal"
    include_in_schema = False
    opt = {"public": True}  # the page itself sends anyone not signed in to the login

    @get("/")
    async def my_report(
        self, request: Request[Any, Any, Any], db_session: DbSession, pii: Pii
    ) -> Template | Redirect:
        actor = signed_in(request)
        if actor is None:
            return to_login(request)
        if actor.role is not Role.SUBJECT or actor.subject_id is None:
            return Redirect("/me", status_code=303)
        found = await credit_report(db_session, actor, pii, actor.subject_id)
        scored = [(entry.cycle, entry.total) for entry in reversed(found.history) if entry.total]
        top = max([SCORE_TOP, *(float(total) for _, total in scored)])
        language = i18n.chosen(request.query_params, request.cookies)
        title = i18n.translate(language, "历次评价得分")
        chart = line_chart([(cycle, Decimal(total)) for cycle, total in scored], top, title)
        active = await measures.active_for(db_session, [actor.subject_id])
        catalog = await measure_catalog.in_force(db_session)
        names = {measure.code: measure for measure in catalog.measures}
        return Template(
            "portal/report.html",
            context={
                "report": found,
                "chart": chart,
                "measures": active,
                "measure_names": names,
                "actor": actor,
            },
        )
