"""Ed25519 key pairs that sign partner answers; a retired key stays listed for verification."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, UniqueConstraint
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


class FeedSnapshot(SQLModel, table=True):
    """The checksum of one list snapshot rendering at one version, so answers can be signed
    before their body is streamed; recomputed when the list changes (`snapshots.refresh`)."""

    __tablename__ = "feed_snapshot"
    __table_args__ = (UniqueConstraint("stream", "rendering"),)

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    stream: str = Field(max_length=10)
    rendering: str = Field(max_length=20)  # format@revision, e.g. csv@1
    version: int = Field(sa_type=IdType)  # the stream's last seq the snapshot includes
    sha256: str = Field(max_length=64)  # of the exact bytes sent
    entries: int
    size_bytes: int = Field(sa_type=IdType)
    computed_at: datetime = Field(sa_type=UTCDateTime)
