"""Regulator console views: subject search, record imports with their row-error report,
simulations with the transition matrix as a heat map, policy packs and indicator sets.

Every page is for regulators only: each controller's `before_request` sends anyone not signed
in to the login and answers anyone else who is not a regulator 403, before a handler runs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, Router, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Stream, Template

from api import uploads
from api.controllers.imports import _batch_view, _rejected_csv
from api.deps import AppSettings, DbSession, EntityId, Pii
from api.settings import Settings
from api.web.portal import signed_in, to_login
from credit.ingestion import service as ingestion
from credit.ingestion.formats import detect_format
from credit.ingestion.models import ImportKind, ImportMode
from credit.ingestion.targets import TARGETS
from credit.kernel.actor import Actor, Role
from credit.kernel.errors import DomainError, InvalidInput
from credit.kernel.pagination import check_limit, decode_cursor, encode_cursor
from credit.policy import regime
from credit.policy import service as policy
from credit.policy.document import document_dict
from credit.subjects import kinds
from credit.subjects.access import public_view
from credit.subjects.search import search
from indicators import repository as indicators
from indicators import sets, simulation

PAGE_SIZE = 50
COPY_CHUNK = 1024 * 1024
IMPORTERS = (Role.ADMIN, Role.OFFICER)
ENCODINGS = ("utf-8", "gb18030")
Text = Annotated[str, QueryParameter(max_length=100)]
Choice = TypeVar("Choice", ImportKind, ImportMode)
Cursor = Annotated[str, QueryParameter(max_length=100)]


def _forbidden(status: int = 403, detail: str = "") -> Template:
    return Template("error.html", context={"status": status, "detail": detail}, status_code=status)


async def only_regulators(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Anonymous → the login; a subject account or a partner key → 403; a regulator passes."""
    actor = signed_in(request)
    if actor is None:
        return to_login(request)
    if not actor.is_regulator:
        return _forbidden()
    return None


def _actor(request: Request[Any, Any, Any]) -> Actor:
    actor = signed_in(request)
    assert actor is not None  # `only_regulators` ran first
    return actor


def _next_cursor(rows: Any, limit: int) -> str | None:
    last = rows[-1].id if rows else None
    return encode_cursor(last) if last and len(rows) == limit else None


class SubjectSearchPage(Controller):
    path = "/console/subjects"
    include_in_schema = False
    opt = {"public": True}
    before_request = staticmethod(only_regulators)

    @get("/")
    async def subjects(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        pii: Pii,
        name: Text = "",
        identifier: Text = "",
        kind: Text = "",
        cursor: Cursor = "",
    ) -> Template:
        """Subjects by name fragment and/or exact identifier, one page at a time."""
        actor = _actor(request)
        context: dict[str, Any] = {
            "query": {"name": name, "identifier": identifier, "kind": kind},
            "kinds": sorted(kinds.registry().values(), key=lambda found: found.code),
            "kind_names": kinds.registry(),
            "cursor": cursor,
            "items": [],
            "next_cursor": None,
            "error": None,
        }
        try:
            page = await search(
                db_session,
                pii,
                name=name.strip() or None,
                identifier=identifier.strip() or None,
                kind=kind or None,
                cursor=cursor or None,
                limit=PAGE_SIZE,
            )
        except InvalidInput as refused:
            context["error"] = refused
            return Template("console/views/subjects.html", context=context, status_code=400)
        context["items"] = [public_view(subject, actor, pii) for subject in page.items]
        context["next_cursor"] = page.next_cursor
        return Template("console/views/subjects.html", context=context)


class ImportPages(Controller):
    """The import form posts multipart; Litestar's CSRF check reads the form's token before
    the handler runs, so the body limit is the router's (see `router`)."""

    path = "/console/imports"
    include_in_schema = False
    opt = {"public": True}
    before_request = staticmethod(only_regulators)

    @get("/")
    async def import_form(self, request: Request[Any, Any, Any]) -> Template:
        return _import_form(_actor(request))

    @post("/", status_code=303)
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """Run the import service on the uploaded file, then show the batch's report."""
        actor = _actor(request)
        if actor.role not in IMPORTERS:
            return _forbidden(detail="只有经办人员和管理员可以导入 / officers and admins import")
        form = await request.form()
        chosen = {
            "kind": str(form.get("kind", ImportKind.RECORDS)),
            "mode": str(form.get("mode", ImportMode.PARTIAL)),
            "encoding": str(form.get("encoding", ENCODINGS[0])),
        }
        upload = form.get("file")
        try:
            kind, mode = _choice(ImportKind, chosen, "kind"), _choice(ImportMode, chosen, "mode")
            if chosen["encoding"] not in ENCODINGS:
                raise InvalidInput("unknown encoding", field="encoding", rule="choice")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInput("choose a file to import", field="file", rule="required")
            path = await _spooled(upload, settings)
            try:
                received = ingestion.ReceivedFile(
                    path=path,
                    file_format=detect_format(
                        path, media_type=upload.content_type, filename=upload.filename
                    ),
                    file_name=Path(upload.filename).name[:255],
                    media_type=upload.content_type,
                )
                outcome = await ingestion.run_import(
                    db_session,
                    actor,
                    TARGETS[kind],
                    received,
                    mode=mode,
                    encoding=chosen["encoding"],
                )
            finally:
                uploads.discard(path)
        except DomainError as refused:
            return _import_form(actor, refused, chosen)
        return Redirect(f"/console/imports/{kind}/{outcome.batch.id}", status_code=303)

    @get("/{kind:str}/{import_id:int}")
    async def import_report(
        self, db_session: DbSession, kind: FromPath[str], import_id: EntityId
    ) -> Template:
        """Counts, whether anything was stored, and each broken rule by line and field."""
        found = _choice(ImportKind, {"kind": kind}, "kind")
        batch = await _batch_view(db_session, found, import_id)
        return Template("console/views/import_report.html", context={"batch": batch})

    @get("/{kind:str}/{import_id:int}/rejected.csv")
    async def rejected_rows(
        self, db_session: DbSession, state: State, kind: FromPath[str], import_id: EntityId
    ) -> Stream:
        """The rejected rows as sent, with an `error` column, to fix and send again."""
        found = _choice(ImportKind, {"kind": kind}, "kind")
        return await _rejected_csv(db_session, state, found, import_id)


def _import_form(
    actor: Actor, refused: DomainError | None = None, chosen: dict[str, str] | None = None
) -> Template:
    return Template(
        "console/views/import.html",
        context={
            "may_import": actor.role in IMPORTERS,
            "refused": refused,
            "chosen": chosen or {},
            "encodings": ENCODINGS,
        },
        status_code=refused.status_code if refused else 200,
    )


def _choice(enum: type[Choice], chosen: dict[str, str], name: str) -> Choice:
    try:
        return enum(chosen[name])
    except ValueError:
        allowed = ", ".join(enum)
        raise InvalidInput(f"{name} is one of {allowed}", field=name, rule="choice") from None


async def _spooled(upload: UploadFile, settings: Settings) -> Path:
    """The uploaded file copied under var/uploads, where the import service reads it."""
    directory = settings.var_dir / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=directory, prefix="import-", suffix=".upload", delete=False
    ) as target:
        try:
            while chunk := await upload.read(COPY_CHUNK):
                target.write(chunk)
        except BaseException:
            uploads.discard(Path(target.name))
            raise
    return Path(target.name)


class SimulationPages(Controller):
    path = "/console/simulations"
    include_in_schema = False
    opt = {"public": True}
    before_request = staticmethod(only_regulators)

    @get("/")
    async def simulations(self, db_session: DbSession, cursor: Cursor = "") -> Template:
        rows = await indicators.simulations(
            db_session, after_id=decode_cursor(cursor), limit=check_limit(PAGE_SIZE)
        )
        return Template(
            "console/views/simulations.html",
            context={"rows": rows, "next_cursor": _next_cursor(rows, PAGE_SIZE), "cursor": cursor},
        )

    @get("/{simulation_id:int}")
    async def one_simulation(self, db_session: DbSession, simulation_id: EntityId) -> Template:
        found = await simulation.get_simulation(db_session, simulation_id)
        return Template(
            "console/views/simulation.html",
            context={"simulation": found, "heat": heat_map(found.transition_matrix)},
        )


def _grade_order(grade: str) -> tuple[int, str]:
    return (1 if grade == simulation.NOT_EVALUATED else 0, grade)


def heat_map(matrix: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Rows (baseline grades) × columns (simulated grades) with each cell's count and colour.

    The colour runs from the page's light band to its accent by the share of the largest cell;
    text turns white on the dark half so it keeps its contrast, and the count is always printed.
    """
    grades = sorted({*matrix, *(new for row in matrix.values() for new in row)}, key=_grade_order)
    top = max((count for row in matrix.values() for count in row.values()), default=0) or 1
    light, dark = (243, 245, 248), (11, 79, 138)
    rows: list[dict[str, Any]] = []
    for old in grades:
        cells: list[dict[str, Any]] = []
        for new in grades:
            count = int(matrix.get(old, {}).get(new, 0))
            share = count / top
            colour = tuple(round(a + (b - a) * share) for a, b in zip(light, dark, strict=True))
            cells.append(
                {
                    "grade": new,
                    "count": count,
                    "background": "#{:02x}{:02x}{:02x}".format(*colour),
                    "ink": "#ffffff" if share > 0.5 else "#1a1a1a",
                    "same": old == new,
                }
            )
        rows.append({"grade": old, "cells": cells, "total": sum(c["count"] for c in cells)})
    columns = [sum(row["cells"][i]["count"] for row in rows) for i in range(len(grades))]
    return {"grades": grades, "rows": rows, "column_totals": columns}


class PolicyPages(Controller):
    path = "/console/policy"
    include_in_schema = False
    opt = {"public": True}
    before_request = staticmethod(only_regulators)

    @get("/")
    async def packs(self, db_session: DbSession, cursor: Cursor = "") -> Template:
        """Every pack version with its status, grouped by pack code in the template."""
        rows = await regime.versions(
            db_session, after_id=decode_cursor(cursor), limit=check_limit(PAGE_SIZE)
        )
        return Template(
            "console/views/policy.html",
            context={"rows": rows, "next_cursor": _next_cursor(rows, PAGE_SIZE), "cursor": cursor},
        )

    @get("/{pack_id:int}")
    async def pack_version(self, db_session: DbSession, pack_id: EntityId) -> Template:
        version = await policy.get_version(db_session, pack_id)
        assert version.id is not None
        return Template(
            "console/views/policy_version.html",
            context={
                "version": version,
                "document": document_dict(version.document),
                "events": await policy.events(db_session, version.id),
            },
        )


class IndicatorSetPages(Controller):
    path = "/console/indicator-sets"
    include_in_schema = False
    opt = {"public": True}
    before_request = staticmethod(only_regulators)

    @get("/")
    async def indicator_sets(self, db_session: DbSession, cursor: Cursor = "") -> Template:
        rows = await indicators.sets(
            db_session,
            profile_code=None,
            kind=None,
            status=None,
            after_id=decode_cursor(cursor),
            limit=check_limit(PAGE_SIZE),
        )
        return Template(
            "console/views/indicator_sets.html",
            context={"rows": rows, "next_cursor": _next_cursor(rows, PAGE_SIZE), "cursor": cursor},
        )

    @get("/{set_id:int}")
    async def indicator_set(self, db_session: DbSession, set_id: EntityId) -> Template:
        """Dimensions with their indicators and rules, and the grade bands the set grades by."""
        loaded = await sets.load(db_session, set_id)
        modules = {module.code: module for module in loaded.profile.modules}
        return Template(
            "console/views/indicator_set.html",
            context={"loaded": loaded, "modules": modules},
        )


def router(settings: Settings) -> Router:
    """The console views; an upload larger than the import limit is refused while it arrives."""
    return Router(
        path="/",
        request_max_body_size=settings.import_max_bytes,
        route_handlers=[
            SubjectSearchPage,
            ImportPages,
            SimulationPages,
            PolicyPages,
            IndicatorSetPages,
        ],
    )
