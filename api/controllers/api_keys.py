"""Partner API keys (admin only)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from api.deps import AppSettings, CurrentActor, DbSession, EntityId
from api.guards import admins
from credit.accounts import api_keys
from credit.accounts.models import ApiKey, ApiKeyPublic


class ApiKeyCreate(BaseModel):
    agency: str = Field(min_length=1, max_length=120)
    agency_code: str | None = Field(default=None, min_length=1, max_length=40)
    scopes: list[str] = Field(min_length=1)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000)


class ApiKeyIssued(ApiKeyPublic):
    key: str


class ApiKeyList(BaseModel):
    items: list[ApiKeyPublic]
    next_cursor: str | None = None


def _public(key: ApiKey) -> ApiKeyPublic:
    assert key.id is not None
    return ApiKeyPublic(
        id=key.id,
        agency=key.agency,
        agency_code=key.agency_code,
        prefix=key.prefix,
        scopes=sorted(key.scope_set),
        rate_limit_per_minute=key.rate_limit_per_minute,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


class ApiKeyController(Controller):
    path = "/api-keys"
    tags = ["api-keys"]
    guards = [admins]

    @post("/")
    async def create_api_key(
        self,
        data: JSONBody[ApiKeyCreate],
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
    ) -> ApiKeyIssued:
        """Issue a key; the answer is the only time the key itself is shown."""
        key, plain = await api_keys.create(
            db_session,
            actor,
            agency=data.agency,
            agency_code=data.agency_code,
            scopes=data.scopes,
            rate_limit_per_minute=data.rate_limit_per_minute
            or settings.api_key_rate_limit_per_minute,
        )
        return ApiKeyIssued(**_public(key).model_dump(), key=plain)

    @get("/")
    async def list_api_keys(self, db_session: DbSession) -> ApiKeyList:
        """Every key with its prefix, scopes and last use; never the key itself."""
        return ApiKeyList(items=[_public(key) for key in await api_keys.listed(db_session)])

    @post("/{api_key_id:int}/revoke", status_code=200)
    async def revoke_api_key(
        self, api_key_id: EntityId, db_session: DbSession, actor: CurrentActor
    ) -> ApiKeyPublic:
        """Revoke a key at once; later calls with it are refused."""
        return _public(await api_keys.revoke(db_session, actor, api_key_id))
