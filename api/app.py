"""The Litestar app factory."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from api.controllers import (
    accounts,
    api_keys,
    audit,
    auth,
    calendar,
    catalog,
    evaluations,
    feed_keys,
    health,
    imports,
    indicator_sets,
    lists,
    measures,
    points,
    policy,
    records,
    reports,
    simulations,
    subjects,
    web,
)
from api.db import Database
from api.deps import provide_actor, provide_db_session, provide_pii, provide_settings
from api.errors import EXCEPTION_HANDLERS
from api.security import AuthenticationMiddleware, authenticated
from api.settings import Settings, get_settings

TEMPLATES_DIR = Path(__file__).parent / "templates"


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web app; the database engine lives as long as the app's lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database = Database(settings.database_url)
        app.state.database = database
        try:
            yield
        finally:
            await database.dispose()

    api_v1 = Router(
        path="/api/v1",
        guards=[authenticated],
        route_handlers=[
            auth.AuthController,
            accounts.AccountController,
            api_keys.ApiKeyController,
            audit.AuditController,
            subjects.SubjectController,
            policy.PolicyPackController,
            catalog.CatalogController,
            calendar.CalendarController,
            records.RecordController,
            imports.RecordImportController,
            imports.MetricImportController,
            lists.ListController,
            feed_keys.FeedKeyController,
            indicator_sets.IndicatorSetController,
            evaluations.EvaluationController,
            simulations.SimulationController,
            reports.SubjectReportController,
            points.PointsController,
            measures.MeasureController,
        ],
    )
    session_config = CookieBackendConfig(
        secret=hashlib.sha256(settings.secret_key.encode()).digest(),
        key="medcredit_session",
        max_age=settings.session_ttl_minutes * 60,
        httponly=True,
        samesite="lax",
    )
    logging.basicConfig(level=logging.INFO)
    return Litestar(
        route_handlers=[health.health, health.ready, api_v1, web.WebController],
        dependencies={
            "db_session": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "pii": Provide(provide_pii, sync_to_thread=False),
        },
        middleware=[session_config.middleware, DefineMiddleware(AuthenticationMiddleware)],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="medcredit_csrf",
            header_name="x-csrf-token",
            exclude=["/api/", "/schema"],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="medcredit", version="1.0.0", path="/schema"),
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine),
        lifespan=[lifespan],
        state=State({"settings": settings}),
        debug=settings.debug,
    )
