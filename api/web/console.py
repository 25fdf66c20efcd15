"""The regulator console: the dashboard (grades, trend, lists, open work) and a subject's file."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from api.controllers.reports import credit_report
from api.deps import DbSession, Pii
from api.web import i18n
from api.web.charts import bar_chart, line_chart
from api.web.portal import signed_in, to_login
from credit.lists import dashboard as lists_dashboard
from indicators import dashboard

SCORE_TOP = 100


class ConsolePages(Controller):
    path = "/console"
    include_in_schema = False
    opt = {"public": True}  # the pages send anyone else to the login or a 403 page

    @get("/")
    async def overview(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Template | Redirect:
        actor = signed_in(request)
        if actor is None:
            return to_login(request)
        if not actor.is_regulator:
            return Template("error.html", context={"status": 403, "detail": ""}, status_code=403)
        language = i18n.chosen(request.query_params, request.cookies)
        spread = await dashboard.grade_spread(db_session)
        charts = {
            kind: bar_chart(
                sorted(grades.items()), f"{kind} · {spread.run.cycle if spread.run else ''}"
            )
            for kind, grades in sorted(spread.by_kind.items())
        }
        trend = await dashboard.score_trend(db_session)
        trend_chart = line_chart(
            [(cycle, mean) for cycle, mean in trend],
            max([SCORE_TOP, *(float(mean) for _, mean in trend)]),
            i18n.translate(language, "各周期平均得分"),
        )
        return Template(
            "console/dashboard.html",
            context={
                "spread": spread,
                "charts": charts,
                "trend": trend,
                "trend_chart": trend_chart,
                "lists": await lists_dashboard.status_counts(db_session),
                "entries": await lists_dashboard.awaiting_decision(db_session),
                "runs": await dashboard.waiting_runs(db_session),
                "actor": actor,
            },
        )

    @get("/subjects/{subject_id:int}")
    async def subject_file(
        self, request: Request[Any, Any, Any], db_session: DbSession, pii: Pii, subject_id: int
    ) -> Template | Redirect:
        actor = signed_in(request)
        if actor is None:
            return to_login(request)
        if not actor.is_regulator:
            return Template("error.html", context={"status": 403, "detail": ""}, status_code=403)
        found = await credit_report(db_session, actor, pii, subject_id)
        scored = [
            (entry.cycle, Decimal(entry.total)) for entry in reversed(found.history) if entry.total
        ]
        chart = line_chart(scored, max([SCORE_TOP, *(float(t) for _, t in scored)]), found.name)
        return Template(
            "portal/report.html",
            context={
                "report": found,
                "chart": chart,
                "measures": [],
                "measure_names": {},
                "actor": actor,
            },
        )
