"""The signing key pair: made on first use, kept sealed, rotated with the old key still listed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from nacl.secret import SecretBox
from nacl.signing import SigningKey as Ed25519SigningKey
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.audit import service as audit
from credit.feeds.models import SigningKey
from credit.feeds.signing import ActiveKey
from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict

# Arbitrary constant naming the PostgreSQL advisory lock taken while a key pair is created.
_KEY_LOCK_KEY = 7_319_410_24


def _box(secret: str) -> SecretBox:
    derived = hmac.new(secret.encode(), b"medcredit/feeds/v1/signing-key", hashlib.sha256)
    return SecretBox(derived.digest())


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def _create(session: AsyncSession, secret: str, actor: Actor) -> SigningKey:
    private = Ed25519SigningKey.generate()
    public = bytes(private.verify_key)
    now = utcnow()
    row = SigningKey(
        key_id=f"medcredit-{now:%Y%m%d}-{hashlib.sha256(public).hexdigest()[:8]}",
        public_key=_encoded(public),
        private_key_sealed=bytes(_box(secret).encrypt(bytes(private))),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session, actor, "signing_key.created", "signing_key", row.key_id, {"public": row.public_key}
    )
    return row


async def _current(session: AsyncSession) -> SigningKey | None:
    query = (
        select(SigningKey)
        .where(col(SigningKey.retired_at).is_(None))
        .order_by(col(SigningKey.id).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalars().first()


def _unsealed(row: SigningKey, secret: str) -> ActiveKey:
    raw = _box(secret).decrypt(bytes(row.private_key_sealed))
    return ActiveKey(row.key_id, Ed25519SigningKey(raw))


async def active_key(session: AsyncSession, secret: str) -> ActiveKey:
    """The key that signs now; the first call on a new database creates it (once, under a lock)."""
    row = await _current(session)
    if row is None:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _KEY_LOCK_KEY})
        row = await _current(session) or await _create(session, secret, SYSTEM_ACTOR)
    return _unsealed(row, secret)


async def rotate(session: AsyncSession, secret: str, actor: Actor) -> SigningKey:
    """Retire the signing key and create the next; the retired public key stays listed."""
    current = await _current(session)
    if current is None:
        raise Conflict("there is no signing key to rotate yet", field="key_id", rule="exists")
    retired = (
        update(SigningKey)
        .where(col(SigningKey.id) == current.id, col(SigningKey.retired_at).is_(None))
        .values(retired_at=utcnow())
    )
    await session.execute(retired)
    await audit.record(session, actor, "signing_key.retired", "signing_key", current.key_id, {})
    return await _create(session, secret, actor)


async def public_keys(session: AsyncSession) -> Sequence[SigningKey]:
    """Every key ever used, newest first, so answers signed before a rotation still verify."""
    query = select(SigningKey).order_by(col(SigningKey.id).desc())
    return (await session.execute(query)).scalars().all()
