"""Web sign-in with a session cookie; forms carry a CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field

from api.deps import AppSettings, DbSession
from api.security import SESSION_ACCOUNT_KEY, SESSION_EXPIRES_KEY
from credit.accounts import service as accounts
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import PRINTABLE_TEXT, TooManyRequests, Unauthorized


class LoginForm(BaseModel):
    username: str = Field(default="", max_length=64, pattern=PRINTABLE_TEXT)
    password: str = Field(default="", max_length=256)


class WebController(Controller):
    include_in_schema = False
    opt = {"public": True}

    @get("/login")
    async def login_page(self) -> Template:
        return Template("login.html", context={"error": None, "username": ""})

    @post("/login", status_code=303)
    async def login_submit(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db_session: DbSession,
        settings: AppSettings,
    ) -> Redirect | Template:
        try:
            account = await accounts.login(
                db_session,
                data.username,
                data.password,
                free_failures=settings.login_free_failures,
                max_lockout_seconds=settings.login_max_lockout_seconds,
            )
        except (Unauthorized, TooManyRequests) as failure:
            await db_session.commit()
            status = 429 if isinstance(failure, TooManyRequests) else 401
            return Template(
                "login.html",
                context={
                    "error": "用户名或密码错误 / " + failure.message,
                    "username": data.username,
                },
                status_code=status,
            )
        expires = utcnow().timestamp() + settings.session_ttl_minutes * 60
        request.set_session({SESSION_ACCOUNT_KEY: account.id, SESSION_EXPIRES_KEY: expires})
        return Redirect("/me", status_code=303)

    @get("/me")
    async def me(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        actor = request.scope.get("user")
        if not isinstance(actor, Actor):
            return Redirect("/login", status_code=303)
        return Template("me.html", context={"actor": actor})

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
