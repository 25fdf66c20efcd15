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
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from api.calls import PartnerCallLog
from api.controllers import (
    accounts,
    api_keys,
    audit,
    auth,
    calendar,
    catalog,
    evaluations,
    feed_keys,
    feeds,
    health,
    imports,
    inbox,
    indicator_sets,
    jobs,
    lists,
    match,
    measures,
    objections,
    points,
    policy,
    records,
    repairs,
    reports,
    simulations,
    subjects,
    verify,
    web,
)
from api.db import Database
from api.deps import (
    provide_actor,
    provide_db_session,
    provide_pii,
    provide_read_session,
    provide_settings,
)
from api.errors import EXCEPTION_HANDLERS
from api.jobs.scheduler import start_scheduler, stop_scheduler
from api.partners import partner_services
from api.security import AuthenticationMiddleware, authenticated
from api.settings import Settings, get_settings
from api.web import console as console_pages
from api.web import documents as document_pages
from api.web import i18n
from api.web import portal as portal_pages
from api.web import public as public_pages
from api.web import queues as console_queues
from api.web import remedies as remedy_pages
from api.web import views as console_views

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web app; the database engine lives as long as the app's lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database = Database(settings.database_url, settings.read_database_url)
        app.state.database = database
        # The single-process default runs the jobs in the web process; with several web
        # workers (or PostgreSQL) `medcredit scheduler` runs them in a process of its own.
        embedded = settings.scheduler == "embedded"
        scheduler = start_scheduler(database, settings) if embedded else None
        try:
            # The partner endpoints' per-process state; the call log's last rows at the end.
            async with partner_services(app.state, database, settings):
                yield
        finally:
            if scheduler is not None:
                stop_scheduler(scheduler)
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
            feeds.FeedController,
            verify.VerifyController,
            match.MatchController,
            indicator_sets.IndicatorSetController,
            evaluations.EvaluationController,
            simulations.SimulationController,
            reports.SubjectReportController,
            points.PointsController,
            measures.MeasureController,
            objections.ObjectionController,
            repairs.RepairController,
            inbox.InboxController,
            inbox.OutboxController,
            jobs.JobController,
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
        route_handlers=[
            health.health,
            health.ready,
            api_v1,
            web.WebController,
            public_pages.PublicPages,
            portal_pages.PortalPages,
            console_pages.ConsolePages,
            remedy_pages.router(settings),
            console_queues.ConsoleQueuePages,
            console_views.router(settings),
            document_pages.router(),
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], opt={"public": True}
            ),
        ],
        dependencies={
            "db_session": Provide(provide_db_session),
            "read_session": Provide(provide_read_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "pii": Provide(provide_pii, sync_to_thread=False),
        },
        # The call log comes after authentication, so it knows which key made the call.
        middleware=[
            session_config.middleware,
            DefineMiddleware(AuthenticationMiddleware),
            PartnerCallLog,
        ],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="medcredit_csrf",
            header_name="x-csrf-token",
            exclude=["/api/", "/schema"],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="medcredit", version="1.0.0", path="/schema"),
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: i18n.install(engine.engine),
        ),
        lifespan=[lifespan],
        state=State({"settings": settings}),
        debug=settings.debug,
    )
