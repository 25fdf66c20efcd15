"""Route guards: which roles (and API-key scopes) may call a handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from credit.kernel.actor import Actor, Role

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def _is_preflight(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """OPTIONS only lists the allowed methods; Litestar authenticates neither it nor HEAD."""
    return connection.scope.get("method") == "OPTIONS"


def _actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    user = connection.scope.get("user")
    if not isinstance(user, Actor):
        raise NotAuthorizedException("authentication required")
    return user


def requires_role(*roles: Role) -> Guard:
    """Allow only the listed roles."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if _is_preflight(connection):
            return
        actor = _actor(connection)
        if actor.role not in allowed:
            raise PermissionDeniedException(
                f"role {actor.role} may not do this; allowed: {', '.join(sorted(allowed))}"
            )

    return guard


def requires_scope(scope: str) -> Guard:
    """Allow an API key that carries `scope`, and regulators."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if _is_preflight(connection):
            return
        actor = _actor(connection)
        if actor.is_regulator:
            return
        if actor.role is not Role.PARTNER or scope not in actor.scopes:
            raise PermissionDeniedException(f"this needs an API key with the scope {scope}")

    return guard


regulators = requires_role(Role.ADMIN, Role.OFFICER, Role.REVIEWER)
admins = requires_role(Role.ADMIN)
officers = requires_role(Role.ADMIN, Role.OFFICER)
people = requires_role(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.SUBJECT)
