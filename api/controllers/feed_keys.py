"""The public keys that sign partner answers, and their rotation by an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from pydantic import BaseModel

from api.deps import AppSettings, CurrentActor, DbSession
from api.guards import admins
from api.signing import signer_of
from credit.feeds import keys


class PublicKey(BaseModel):
    key_id: str
    algorithm: str = "ed25519"
    public_key: str  # raw 32-byte Ed25519 key, base64url without padding
    created_at: datetime
    retired_at: datetime | None
    status: str


class PublicKeys(BaseModel):
    items: list[PublicKey]


SIGNED_KEYS = ResponseSpec(PublicKeys, description="the keys, signed (Content-Digest, Signature)")


async def _listing(db_session: DbSession) -> dict[str, Any]:
    rows = await keys.public_keys(db_session)
    items = [
        PublicKey(
            key_id=row.key_id,
            public_key=row.public_key,
            created_at=row.created_at,
            retired_at=row.retired_at,
            status="retired" if row.retired_at else "active",
        ).model_dump(mode="json")
        for row in rows
    ]
    return {"items": items}


class FeedKeyController(Controller):
    path = "/feeds/keys"
    tags = ["feeds"]

    @get("/", opt={"public": True}, responses={200: SIGNED_KEYS})
    async def list_feed_keys(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> Response[bytes]:
        """Every key that signed answers, newest first; retired keys stay listed."""
        signer = signer_of(request)
        await signer.key()  # a new database gets its first key
        return await signer.json(await _listing(db_session))

    @post("/rotate", guards=[admins], status_code=201, responses={201: SIGNED_KEYS})
    async def rotate_feed_key(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
    ) -> Response[bytes]:
        """Retire the signing key and start signing with a new one."""
        signer = signer_of(request)
        await keys.active_key(db_session, settings.secret_key)
        await keys.rotate(db_session, settings.secret_key, actor)
        # Signed by the new key, read in this transaction; this process reads it again for
        # the next answers (other processes within KEY_TTL_SECONDS).
        new_key = await keys.active_key(db_session, settings.secret_key)
        signer.forget()
        response = await signer.json(await _listing(db_session), key=new_key)
        response.status_code = 201
        return response
