"""The inbox every account reads, and the outbox an e-mail/SMS gateway drains."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery, JSONBody, Parameter

from api.deps import CurrentActor, DbSession, EntityId
from api.guards import people
from credit.kernel.actor import Actor, Role
from credit.kernel.db import ID_MAX
from credit.kernel.errors import Forbidden, InvalidInput
from credit.kernel.pagination import check_limit
from credit.notifications import service
from credit.notifications.models import OutboxStatus
from credit.notifications.schemas import (
    DeliveryFailure,
    InboxItemPublic,
    InboxPage,
    OutboxMessagePublic,
    OutboxPage,
)

OUTBOX_SCOPE = "outbox"
Cursor = Annotated[str | None, Parameter(max_length=200)]


def gateway(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """An admin, or an API key holding the `outbox` scope (the mail/SMS gateway)."""
    if connection.scope.get("method") == "OPTIONS":
        return
    actor = connection.scope.get("user")
    if isinstance(actor, Actor) and (
        actor.role is Role.ADMIN or (actor.role is Role.PARTNER and OUTBOX_SCOPE in actor.scopes)
    ):
        return
    raise PermissionDeniedException(
        f"this needs an admin or an API key with the scope {OUTBOX_SCOPE}"
    )


def _account_id(actor: Actor) -> int:
    if actor.account_id is None:
        raise Forbidden("only a signed-in account has an inbox", rule="account_only")
    return actor.account_id


class InboxController(Controller):
    path = "/inbox"
    tags = ["notifications"]
    guards = [people]

    @get("/")
    async def read_inbox(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        cursor: Cursor = None,
        limit: FromQuery[int] = 50,
    ) -> InboxPage:
        """The caller's notifications: unread first, newest first within each part."""
        return await service.inbox(
            db_session, _account_id(actor), cursor=cursor, limit=check_limit(limit)
        )

    @post("/{item_id:int}/read", status_code=200)
    async def mark_inbox_item_read(
        self, item_id: EntityId, db_session: DbSession, actor: CurrentActor
    ) -> InboxItemPublic:
        """Mark one of the caller's notifications read."""
        return await service.mark_read(db_session, _account_id(actor), item_id)


class OutboxController(Controller):
    path = "/outbox"
    tags = ["notifications"]
    guards = [gateway]

    @get("/")
    async def drain_outbox(
        self,
        db_session: DbSession,
        status: FromQuery[OutboxStatus | None] = None,
        cursor: Cursor = None,
        limit: FromQuery[int] = 100,
    ) -> OutboxPage:
        """Messages to deliver, oldest first (`status=pending` for the gateway's queue)."""
        if cursor is not None and not (cursor.isdigit() and int(cursor) <= ID_MAX):
            raise InvalidInput("cursor must be a message id", field="cursor", rule="digits")
        return await service.outbox(
            db_session,
            status=status,
            after_id=int(cursor) if cursor else None,
            limit=check_limit(limit),
        )

    @post("/{message_id:int}/sent", status_code=200)
    async def mark_outbox_sent(
        self, message_id: EntityId, db_session: DbSession
    ) -> OutboxMessagePublic:
        """The gateway delivered the message."""
        return await service.mark_sent(db_session, message_id)

    @post("/{message_id:int}/failed", status_code=200)
    async def mark_outbox_failed(
        self, message_id: EntityId, data: JSONBody[DeliveryFailure], db_session: DbSession
    ) -> OutboxMessagePublic:
        """The gateway could not deliver it; `retry` keeps it pending for the next drain."""
        return await service.mark_failed(db_session, message_id, error=data.error, retry=data.retry)
