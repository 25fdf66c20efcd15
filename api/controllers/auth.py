"""Login for the JSON API (bearer tokens) and who-am-I."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from api.deps import AppSettings, CurrentActor, DbSession
from api.security import issue_token
from credit.accounts import service as accounts
from credit.kernel.errors import PRINTABLE_TEXT, Unauthorized


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=PRINTABLE_TEXT)
    password: str = Field(min_length=1, max_length=256)


class LoginAnswer(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    role: str
    subject_id: int | None


class WhoAmI(BaseModel):
    name: str
    role: str
    account_id: int | None
    subject_id: int | None
    scopes: list[str]


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/login", opt={"public": True}, status_code=200)
    async def login(
        self, data: JSONBody[LoginRequest], db_session: DbSession, settings: AppSettings
    ) -> LoginAnswer:
        """Exchange a user name and password for an expiring bearer token."""
        try:
            account = await accounts.login(
                db_session,
                data.username,
                data.password,
                free_failures=settings.login_free_failures,
                max_lockout_seconds=settings.login_max_lockout_seconds,
            )
        except Unauthorized:
            # Keep the failure count even though the request fails.
            await db_session.commit()
            raise
        token, expires_in = issue_token(settings, account)
        return LoginAnswer(
            access_token=token,
            expires_in=expires_in,
            role=account.role,
            subject_id=account.subject_id,
        )

    @get("/whoami")
    async def whoami(self, actor: CurrentActor) -> WhoAmI:
        """The party this request acts as."""
        return WhoAmI(
            name=actor.name,
            role=str(actor.role),
            account_id=actor.account_id,
            subject_id=actor.subject_id,
            scopes=sorted(actor.scopes),
        )
