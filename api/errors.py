"""Every error leaves as `application/problem+json` naming the field and the rule broken."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from credit.kernel.errors import DomainError, TooManyRequests

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("medcredit.api")


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    errors = [{"field": exc.field, "rule": exc.rule, "message": exc.message}] if exc.field else []
    return problem(
        exc.status_code,
        exc.title,
        exc.message,
        errors=errors,
        headers=headers,
        **({"field": exc.field, "rule": exc.rule} if exc.field else {}),
        **exc.extra,
    )


def _field_of(item: dict[str, Any]) -> str:
    key = item.get("key") or item.get("source") or "body"
    return str(key)


def validation_error_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        {"field": _field_of(item), "rule": "schema", "message": str(item.get("message", ""))}
        for item in items
        if isinstance(item, dict)
    ]
    if errors:
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
    else:
        detail = exc.detail or "the request does not match the schema"
    return problem(400, "Invalid request", detail, errors=errors)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return problem(
        exc.status_code,
        exc.detail or "HTTP error",
        exc.detail or "",
        headers=exc.headers,
    )


def integrity_error_handler(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    log.info("integrity error answered as 409: %s", exc.orig)
    return problem(409, "Conflict", "the change conflicts with data stored at the same time")


def data_error_handler(_: Request[Any, Any, Any], exc: DataError) -> Response[Any]:
    # Input validation should have caught this; answer as the client's fault, not a crash.
    log.warning("database refused a value: %s", exc.orig)
    return problem(400, "Invalid value", "a value in the request cannot be stored or compared")


def operational_error_handler(_: Request[Any, Any, Any], exc: OperationalError) -> Response[Any]:
    log.warning("database unavailable: %s", exc.orig)
    return problem(
        503,
        "Service unavailable",
        "the database is busy or unreachable; try again",
        headers={"Retry-After": "2"},
    )


def nesting_error_handler(_: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    # A body nested thousands deep exhausts the decoder's recursion: the client's fault.
    return problem(400, "Invalid request", "the body is nested too deeply to read")


def encoding_error_handler(_: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    # Raised while the framework decodes a body that is not UTF-8 (uploads check theirs).
    return problem(
        400, "Invalid request", f"the body is not valid UTF-8 (byte {exc.start}: {exc.reason})"
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "Internal error", "an unexpected error occurred")


# Paths answered in JSON; every other path is a page and gets its error as a page.
MACHINE_PATHS = ("/api/", "/schema", "/health", "/ready", "/static/")
Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def as_page(handler: Handler) -> Handler:
    """The same answer for a page: the status and its reason on the site's error page, in the
    reader's language, instead of problem+json."""

    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        response = handler(request, exc)
        if request.url.path.startswith(MACHINE_PATHS):
            return response
        body = response.content if isinstance(response.content, dict) else {}
        return Template(
            "error.html",
            context={"status": response.status_code, "detail": body.get("detail", "")},
            status_code=response.status_code or 500,
            headers=dict(response.headers),
        )

    return handle


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: as_page(domain_error_handler),
    ValidationException: as_page(validation_error_handler),
    HTTPException: as_page(http_error_handler),
    IntegrityError: as_page(integrity_error_handler),
    DataError: as_page(data_error_handler),
    OperationalError: as_page(operational_error_handler),
    RecursionError: as_page(nesting_error_handler),
    UnicodeDecodeError: as_page(encoding_error_handler),
    Exception: as_page(internal_error_handler),
}
