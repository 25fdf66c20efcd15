"""Domain errors carry their HTTP status, the field concerned and the rule broken."""

from __future__ import annotations

from typing import Any

# Text a person can type: no NUL or other control characters, which PostgreSQL refuses to store.
PRINTABLE_TEXT = r"^[^\x00-\x1f\x7f]*$"


class DomainError(Exception):
    """A request the domain refuses; `field` and `rule` say exactly what was wrong."""

    status_code = 400
    title = "Invalid request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule
        self.extra = extra or {}


class InvalidInput(DomainError):
    status_code = 422
    title = "Input breaks a rule"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    status_code = 401
    title = "Authentication required"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class TooManyRequests(DomainError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
