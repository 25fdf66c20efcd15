"""Authentication: bearer tokens and API keys for the JSON API, a session cookie for web pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from api.db import Database
from api.settings import Settings
from credit.accounts import api_keys, tokens
from credit.accounts import service as accounts
from credit.accounts.models import Account
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow

API_PREFIX = "/api/"
SESSION_ACCOUNT_KEY = "account_id"
SESSION_EXPIRES_KEY = "expires_at"


def issue_token(settings: Settings, account: Account) -> tuple[str, int]:
    """A bearer token for the account and its lifetime in seconds."""
    assert account.id is not None
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    token, _ = tokens.issue(settings.secret_key, account.id, ttl)
    return token, int(ttl.total_seconds())


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Resolve the acting party; anonymous requests pass on and meet the route's guards."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        if header:
            return AuthenticationResult(user=await self._from_header(connection, header), auth=None)
        if not connection.scope["path"].startswith(API_PREFIX):
            # Cookies authenticate web pages only, so the JSON API needs no CSRF token.
            return AuthenticationResult(user=await self._from_session(connection), auth=None)
        return AuthenticationResult(user=None, auth=None)

    async def _from_header(
        self, connection: ASGIConnection[Any, Any, Any, Any], header: str
    ) -> Actor:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthorizedException("Authorization must be 'Bearer <token or API key>'")
        credential = credential.strip()
        state = connection.app.state
        if credential.startswith(f"{api_keys.KEY_PREFIX}_"):
            # One indexed read on the primary (the rate limit writes only now and then).
            partner = state.partner
            async with partner.db.writes() as statements:
                actor = await api_keys.authenticate(statements, credential, partner.rate_limiter)
        else:
            settings: Settings = state.settings
            database: Database = state.database
            async with database.transaction() as session:
                claims = tokens.read(settings.secret_key, credential)
                actor = await accounts.active_actor(session, claims.account_id) if claims else None
        if actor is None:
            raise NotAuthorizedException("the token or API key is invalid, expired or revoked")
        return actor

    async def _from_session(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
        if "session" not in connection.scope:
            return None
        web_session = connection.scope["session"]
        if not isinstance(web_session, dict):
            return None
        account_id = web_session.get(SESSION_ACCOUNT_KEY)
        expires_at = web_session.get(SESSION_EXPIRES_KEY, 0)
        if not isinstance(account_id, int) or expires_at < utcnow().timestamp():
            return None
        database: Database = connection.app.state.database
        async with database.sessionmaker() as session:
            return await accounts.active_actor(session, account_id)


async def authenticated(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Router guard: every API route needs a party unless it is marked `public`.

    Async, though it awaits nothing: Litestar runs a sync guard in a worker thread."""
    # OPTIONS answers say which methods exist; Litestar authenticates neither it nor HEAD.
    if handler.opt.get("public") or connection.scope.get("method") == "OPTIONS":
        return
    if not isinstance(connection.scope.get("user"), Actor):
        raise NotAuthorizedException("authentication required: send 'Authorization: Bearer ...'")
