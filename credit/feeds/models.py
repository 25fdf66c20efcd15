"""Ed25519 key pairs that sign partner answers; a retired key stays listed for verification."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime


class SigningKey(SQLModel, table=True):
    __tablename__ = "signing_key"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    key_id: str = Field(max_length=64, unique=True)
    public_key: str = Field(max_length=64)  # raw 32 bytes, base64url without padding
    # The private key sealed with a key derived from the app secret; never leaves the server.
    private_key_sealed: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
