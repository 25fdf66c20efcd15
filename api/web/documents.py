"""Printable documents: the notice (告知书) and decision (决定书) of a list entry, a subject's
credit report (信用报告) and the repair commitment (信用修复承诺书).

Regulators open any; a subject account only its own (the domain's read checks answer 404 for
anyone else's, as the JSON API does). Each document prints on A4 from the browser, and with
`?format=pdf` comes back as a PDF rendered by the machine's headless Chromium from the same HTML,
offline: the documents carry their styles inline and load nothing.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, Router, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from api.controllers.reports import credit_report
from api.deps import DbSession, EntityId, Pii
from api.web import i18n
from api.web.charts import line_chart
from api.web.portal import signed_in, to_login
from credit.kernel.actor import Actor
from credit.kernel.clock import business_date, business_today
from credit.kernel.errors import Conflict, DomainError, NotFound
from credit.lists import notice
from credit.lists import repository as lists
from credit.lists import service as list_service
from credit.lists.models import EntryStatus, ListEntry
from credit.measures import catalog as measure_catalog
from credit.measures import repository as measures
from credit.policy.regime import national_of
from credit.policy.service import get_version
from credit.policy.vocabulary import ListName
from credit.subjects.access import public_view, readable_subject
from credit.subjects.kinds import Party, get_kind
from credit.subjects.models import Subject
from credit.subjects.service import get_subject
from repair import commitment, repairs

AUTHORITY = "医疗保障行政部门"
DECISION_TITLES = {
    ListName.BLACK: "严重失信主体名单列入决定书",
    ListName.FOCUS: "重点关注名单列入决定书",
    ListName.RED: "守信激励名单列入决定书",
}
NUMBER_PREFIX = {ListName.BLACK: "BLK", ListName.FOCUS: "FOC", ListName.RED: "RED"}
DECIDING_STEPS = (EntryStatus.DECIDED, EntryStatus.APPROVED)
SCORE_TOP = 100
PDF_SECONDS = 60
Format = Annotated[str, QueryParameter(name="format", pattern="^(html|pdf)$")]


async def signed_in_only(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Documents are never public: anyone not signed in goes to the login first."""
    return to_login(request) if signed_in(request) is None else None


def _actor(request: Request[Any, Any, Any]) -> Actor:
    actor = signed_in(request)
    assert actor is not None  # `signed_in_only` ran first
    return actor


def _identifiers(subject: Subject) -> str:
    """What the domain's notice and commitment print: codes in full, a resident ID masked."""
    values = (subject.uscc, subject.nhsa_code, subject.resident_id_masked)
    return " / ".join(value for value in values if value is not None)


def _toolbar(request: Request[Any, Any, Any]) -> Markup:
    """The screen-only bar above a document the domain renders whole: back, print, PDF."""
    language = i18n.chosen(request.query_params, request.cookies)
    words = [i18n.translate(language, text) for text in ("打印", "下载 PDF")]
    return Markup(
        "<style>@media print {{ .noprint {{ display: none; }} }}</style>"
        '<p class="noprint"><button type="button" onclick="window.print()">{}</button> '
        '<a href="?format=pdf">{}</a></p>'
    ).format(*words)


async def _document(
    request: Request[Any, Any, Any], html: str, name: str, file_format: str
) -> Response[Any]:
    if file_format == "pdf":
        return await _pdf(html, name)
    page = html.replace("<body>", "<body>" + _toolbar(request), 1)
    return Response(page, media_type=MediaType.HTML)


async def _template_document(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    name: str,
    file_format: str,
) -> Response[Any]:
    if file_format != "pdf":
        return Template(template, context=context)
    engine = request.app.template_engine
    assert engine is not None
    html = engine.get_template(template).render(**context, request=request, csrf_token=lambda: "")
    return await _pdf(html, name)


async def _pdf(html: str, name: str) -> Response[Any]:
    """The page printed to PDF by headless Chromium, from a local file with nothing to fetch."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise PdfUnavailable("PDF is not available on this server; print the page instead")
    with tempfile.TemporaryDirectory(prefix="medcredit-pdf-") as work:
        source, target = Path(work) / "document.html", Path(work) / "document.pdf"
        source.write_text(html, encoding="utf-8")
        process = await asyncio.create_subprocess_exec(
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={work}/profile",
            f"--print-to-pdf={target}",
            source.as_uri(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await asyncio.wait_for(process.wait(), PDF_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise PdfUnavailable("PDF rendering took too long; print the page instead") from None
        if not target.exists():
            raise PdfUnavailable("PDF rendering failed; print the page instead")
        content = target.read_bytes()
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


class PdfUnavailable(DomainError):
    status_code = 503
    title = "PDF unavailable"


class DocumentPages(Controller):
    include_in_schema = False
    opt = {"public": True}

    @get("/lists/{list_name:str}/entries/{entry_id:int}/notice")
    async def entry_notice(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        list_name: FromPath[str],
        entry_id: EntityId,
        file_format: Format = "html",
    ) -> Response[Any]:
        """告知书: served on a blacklist entry before its decision."""
        entry = await _readable_entry(db_session, _actor(request), list_name, entry_id)
        html = await notice.render_notice(db_session, entry)
        return await _document(request, html, f"notice-{entry_id}", file_format)

    @get("/lists/{list_name:str}/entries/{entry_id:int}/decision")
    async def entry_decision(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        list_name: FromPath[str],
        entry_id: EntityId,
        file_format: Format = "html",
    ) -> Response[Any]:
        """决定书: the decision, its basis, how the defence was weighed, rights, validity."""
        entry = await _readable_entry(db_session, _actor(request), list_name, entry_id)
        context = await decision_context(db_session, entry)
        return await _template_document(
            request, "documents/decision.html", context, f"decision-{entry_id}", file_format
        )

    @get("/subjects/{subject_id:int}/report")
    async def subject_report(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        pii: Pii,
        subject_id: EntityId,
        file_format: Format = "html",
    ) -> Response[Any]:
        """信用报告: the credit report the subject or a regulator prints."""
        actor = _actor(request)
        found = await credit_report(db_session, actor, pii, subject_id)
        subject = await readable_subject(db_session, actor, subject_id)
        scored = [(e.cycle, Decimal(e.total)) for e in reversed(found.history) if e.total]
        language = i18n.chosen(request.query_params, request.cookies)
        chart = line_chart(
            scored,
            max([SCORE_TOP, *(float(total) for _, total in scored)]),
            i18n.translate(language, "历次评价得分"),
        )
        catalog = await measure_catalog.in_force(db_session)
        context = {
            "report": found,
            "subject": public_view(subject, actor, pii),
            "kind": get_kind(subject.kind),
            "chart": chart,
            "measures": await measures.active_for(db_session, [subject_id]),
            "measure_names": {measure.code: measure for measure in catalog.measures},
            "generated_on": business_today(),
            "number": f"XY-{subject_id:08d}-{business_today():%Y%m%d}",
        }
        return await _template_document(
            request, "documents/report.html", context, f"credit-report-{subject_id}", file_format
        )

    @get("/repairs/{repair_id:int}/commitment")
    async def repair_commitment(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        repair_id: EntityId,
        file_format: Format = "html",
    ) -> Response[Any]:
        """信用修复承诺书: to print, sign (and seal) and upload with the repair request."""
        repair = await repairs.readable(db_session, _actor(request), repair_id)
        html = await commitment.render(db_session, repair)
        return await _document(request, html, f"commitment-{repair_id}", file_format)


async def _readable_entry(
    session: AsyncSession, actor: Actor, list_name: str, entry_id: int
) -> ListEntry:
    if list_name not in set(ListName):
        raise NotFound(f"there is no list {list_name}", field="list_name", rule="exists")
    return await list_service.readable_entry(session, actor, ListName(list_name), entry_id)


async def decision_context(session: AsyncSession, entry: ListEntry) -> dict[str, Any]:
    """What the decision states, read from the entry, its events and its pack."""
    if entry.decided_on is None:
        raise Conflict(
            f"{entry.list_name} list entry {entry.id} has not been decided yet",
            field="status",
            rule="no_decision",
            extra={"current_status": entry.status},
        )
    assert entry.id is not None
    list_name = ListName(entry.list_name)
    subject = await get_subject(session, entry.subject_id)
    rules = national_of(await get_version(session, entry.pack_version_id)).lists
    criterion = rules.of(list_name).criterion(entry.criterion_code)
    events = await lists.events_of(session, entry.id)
    decided = next((e for e in reversed(events) if e.to_status in DECIDING_STEPS), None)
    return {
        "title": DECISION_TITLES[list_name],
        "number": f"{NUMBER_PREFIX[list_name]}-{entry.id:08d}-JD",
        "list_name": str(list_name),
        "entry": entry,
        "subject": subject,
        "identifiers": _identifiers(subject),
        "organisation": get_kind(subject.kind).party is Party.ORGANISATION,
        "criterion": criterion,
        "records": await lists.record_documents(session, entry.record_ids),
        "notified_on": business_date(entry.disclosed_at) if entry.disclosed_at else None,
        "defences": await lists.defences_of(session, entry.id),
        "documents": decided.documents if decided else [],
        "rules": rules,
        "authority": AUTHORITY,
    }


def router() -> Router:
    """The documents, for signed-in people only."""
    return Router(path="/documents", before_request=signed_in_only, route_handlers=[DocumentPages])
