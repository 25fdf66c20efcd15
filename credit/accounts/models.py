"""Accounts, login throttling and partner API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from credit.kernel.actor import Role
from credit.kernel.db import IdType, UTCDateTime, check_in
from credit.kernel.errors import PRINTABLE_TEXT

ACCOUNT_ROLES = (Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.SUBJECT)


class AccountBase(SQLModel):
    username: str = Field(min_length=3, max_length=64, regex=PRINTABLE_TEXT)
    display_name: str = Field(default="", max_length=120, regex=PRINTABLE_TEXT)
    role: Role
    subject_id: int | None = None


class AccountCreate(AccountBase):
    password: str = Field(min_length=8, max_length=256)


class AccountPublic(AccountBase):
    id: int
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class Account(AccountBase, table=True):
    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(check_in("role", [str(role) for role in ACCOUNT_ROLES]), name="role"),
        CheckConstraint("role <> 'subject' OR subject_id IS NOT NULL", name="subject_bound"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    role: Role = Field(sa_type=String(20))
    subject_id: int | None = Field(
        default=None,
        sa_column=Column(IdType, ForeignKey("subject.id"), nullable=True, index=True),
    )
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per user name (known or not), so guessing slows down for everyone."""

    __tablename__ = "login_throttle"

    username: str = Field(max_length=64, primary_key=True)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


# An agency code as the policy pack's measures name implementing agencies.
AGENCY_CODE_PATTERN = r"^[a-z][a-z0-9_]*$"


class ApiKeyPublic(SQLModel):
    id: int
    agency: str
    agency_code: str | None = None
    prefix: str
    scopes: list[str]
    rate_limit_per_minute: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    agency: str = Field(max_length=120, index=True)
    # The implementing agency whose measure assignments the key sees and reports on.
    agency_code: str | None = Field(default=None, max_length=40, index=True)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    scopes: str = Field(max_length=400)
    rate_limit_per_minute: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=120)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(scope for scope in self.scopes.split(",") if scope)


class ApiKeyUsage(SQLModel, table=True):
    """Calls per key per minute: the rate limit holds across several web workers."""

    __tablename__ = "api_key_usage"

    api_key_id: int = Field(sa_column=Column(IdType, ForeignKey("api_key.id"), primary_key=True))
    window_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    calls: int = 0


class PartnerCall(SQLModel, table=True):
    """One call made with an API key: which key, which endpoint, the answer and its size."""

    __tablename__ = "partner_call"

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    api_key_id: int = Field(
        sa_column=Column(IdType, ForeignKey("api_key.id"), nullable=False, index=True)
    )
    key_prefix: str = Field(max_length=16)
    method: str = Field(max_length=10)
    endpoint: str = Field(max_length=200)  # the route template, e.g. /api/v1/verify
    status: int
    returned: int | None = None  # changes, entries, lists or candidates in the answer
    called_at: datetime = Field(sa_type=UTCDateTime, index=True)
