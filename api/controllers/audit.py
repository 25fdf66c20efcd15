"""The audit log (admin only)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, Parameter
from pydantic import BaseModel

from api.deps import DbSession
from api.guards import admins
from credit.audit import repository
from credit.audit.models import AuditEventPublic
from credit.kernel.errors import InvalidInput
from credit.kernel.pagination import check_limit

# Printable text only: a NUL byte or other control character can match no stored value.
FilterText = Annotated[str | None, Parameter(max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$")]


class AuditPage(BaseModel):
    items: list[AuditEventPublic]
    next_cursor: str | None
    total: int


class AuditController(Controller):
    path = "/audit/events"
    tags = ["audit"]
    guards = [admins]

    @get("/")
    async def list_audit_events(
        self,
        db_session: DbSession,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
        action: FilterText = None,
        target_type: FilterText = None,
        target_id: FilterText = None,
    ) -> AuditPage:
        """Events in chain order; the cursor is the last `seq` seen."""
        if cursor is not None and not cursor.isdigit():
            raise InvalidInput("cursor must be the seq of an event", field="cursor", rule="digits")
        rows = await repository.page(
            db_session,
            after_seq=int(cursor) if cursor else None,
            limit=check_limit(limit),
            action=action,
            target_type=target_type,
            target_id=target_id,
        )
        return AuditPage(
            items=[AuditEventPublic.model_validate(row, from_attributes=True) for row in rows],
            next_cursor=str(rows[-1].seq) if len(rows) == limit else None,
            total=await repository.count(db_session),
        )
