"""What the portal's remedy pages and the console's queues share: who may open a page, posted
forms, changes made all or nothing, what a case is about, and evidence files sent from a
browser form (refusals are worded in `refusals`).

A browser posts a form without headers of its own, so Litestar's CSRF middleware finds the
`_csrf_token` by parsing the body (`request.form()`), multipart included. Litestar keeps that
parsed form on the connection: a page handler calling `request.form()` again gets the same form
and its `UploadFile`s, and the body is read once. The body is capped for these pages at the
evidence limit plus room for the text fields (`body_limit`), so the middleware never spools
more than one evidence file's worth; `repair.evidence.attach` then checks size and content as
the JSON API does.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.response import Redirect, Response, Template
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.evidence import evidence_dir
from api.settings import Settings
from api.web import i18n
from api.web.portal import signed_in, to_login
from credit.kernel.actor import Actor, Role
from credit.kernel.errors import DomainError, InvalidInput
from credit.lists import repository as lists
from credit.records import repository as records
from indicators import repository as runs_repository
from indicators import supersede
from repair import evidence
from repair.models import EvidenceFile, EvidencePurpose, ObjectionTarget
from repair.workflow import Case

# Room for the text fields next to the file (grounds and wishes of 20,000 characters each).
FORM_ALLOWANCE = 256 * 1024
T = TypeVar("T")
Page = Template | Redirect | Response[Any]


SHOWN = 100  # a subject's cases and items fit on one page


async def describe(session: AsyncSession, target_type: str, target_id: int) -> dict[str, Any]:
    """What a case is about, in the words the portal shows (the reader may see it)."""
    if target_type in (ObjectionTarget.RECORD, ObjectionTarget.POINTS):
        revision = await records.current_revision(session, target_id)
        if revision is None:
            return {"type": target_type, "id": target_id}
        return {
            "type": target_type,
            "id": target_id,
            "item_code": revision.item_code,
            "decided_on": revision.decided_on,
            "document_no": revision.document_no,
            "status": revision.status,
        }
    if target_type == ObjectionTarget.LIST_ENTRY:
        entry = await lists.get(session, target_id)
        if entry is None:
            return {"type": target_type, "id": target_id}
        return {
            "type": target_type,
            "id": target_id,
            "list_name": entry.list_name,
            "criterion_code": entry.criterion_code,
            "status": entry.status,
            "under_objection": entry.under_objection,
        }
    result = await supersede.get_result(session, target_id)
    run = await runs_repository.get_run(session, result.run_id)
    return {
        "type": target_type,
        "id": target_id,
        "cycle": run.cycle if run else "",
        "grade": result.grade,
        "total": result.total,
        "under_objection": result.under_objection,
    }


def body_limit(settings: Settings) -> int:
    """The largest request body the remedy pages read: one evidence file and the form."""
    return settings.evidence_max_bytes + FORM_ALLOWANCE


def language(request: Request[Any, Any, Any]) -> str:
    return i18n.chosen(request.query_params, request.cookies)


def forbidden() -> Template:
    return Template("error.html", context={"status": 403, "detail": ""}, status_code=403)


def subject_reader(request: Request[Any, Any, Any]) -> Actor | Page:
    """The signed-in subject account, or where anyone else is sent instead."""
    actor = signed_in(request)
    if actor is None:
        return to_login(request)
    if actor.role is not Role.SUBJECT or actor.subject_id is None:
        return forbidden()
    return actor


def regulator_reader(request: Request[Any, Any, Any]) -> Actor | Page:
    actor = signed_in(request)
    if actor is None:
        return to_login(request)
    if not actor.is_regulator:
        return forbidden()
    return actor


def account_reader(request: Request[Any, Any, Any]) -> Actor | Page:
    actor = signed_in(request)
    if actor is None or actor.account_id is None:
        return to_login(request)
    return actor


async def posted(request: Request[Any, Any, Any]) -> FormMultiDict:
    """The posted form, as the CSRF middleware already parsed it."""
    return await request.form()


def field(form: FormMultiDict, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormMultiDict, name: str) -> str | None:
    return field(form, name) or None


def chosen_file(form: FormMultiDict, name: str = "file") -> UploadFile | None:
    """The file sent in `name`; a browser sends an empty text part when none was chosen."""
    value = form.get(name)
    return value if isinstance(value, UploadFile) else None


async def attempt(session: AsyncSession, change: Callable[[], Awaitable[T]]) -> T | DomainError:
    """Run a change in a savepoint: all of it, or nothing and the refusal."""
    try:
        async with session.begin_nested():
            return await change()
    except DomainError as refused:
        return refused


def validated(model: Callable[..., T], values: dict[str, Any]) -> T:
    """A pydantic input built from form values; InvalidInput naming the first bad field."""
    try:
        return model(**values)
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "form"
        raise InvalidInput(f"{name}: {first['msg']}", field=name, rule="schema") from None


def _declared_type(upload: UploadFile) -> str | None:
    """The part's own Content-Type (Litestar fills in text/plain when there was none)."""
    for name, value in upload.headers.items():
        if name.lower() == "content-type":
            return str(value).split(";")[0].strip() or None
    return None


def _copy(upload: UploadFile, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    upload.file.seek(0)
    # Under var/, never the system temp dir, which is often a RAM-backed tmpfs.
    with tempfile.NamedTemporaryFile(
        dir=directory, prefix="evidence-", suffix=".upload", delete=False
    ) as handle:
        shutil.copyfileobj(upload.file, handle, 1 << 20)
    return Path(handle.name)


async def keep_upload(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    case: Case,
    purpose: EvidencePurpose,
    upload: UploadFile,
) -> EvidenceFile:
    """Check a file from a form and keep it with the case, with the API's size and type rules."""
    received = await asyncio.to_thread(_copy, upload, settings.var_dir / "uploads")
    try:
        return await evidence.attach(
            session,
            actor,
            case,
            purpose,
            received,
            file_name=Path(upload.filename).name[:255] if upload.filename else None,
            declared_type=_declared_type(upload),
            directory=evidence_dir(settings),
            max_bytes=settings.evidence_max_bytes,
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            received.unlink()  # already moved when it was kept
        await upload.close()
