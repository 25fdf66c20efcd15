"""Credit subjects and where persons practise: SubjectBase → Create / Update → Subject → Public."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum

from pydantic import ConfigDict, field_validator
from sqlalchemy import CheckConstraint, Column, ForeignKey, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from credit.kernel.db import ID_MAX, IdType, UTCDateTime, check_in


class InstitutionLevel(StrEnum):
    """医疗机构等级: 三级, 二级, 一级, 未定级."""

    TERTIARY = "tertiary"
    SECONDARY = "secondary"
    PRIMARY = "primary"
    UNRATED = "unrated"


class Ownership(StrEnum):
    """公立 / 民营."""

    PUBLIC = "public"
    PRIVATE = "private"


class AgreementStatus(StrEnum):
    """定点协议状态: 正常, 中止, 解除."""

    NORMAL = "normal"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class QualificationStatus(StrEnum):
    """医保支付资格: 正常, 暂停, 终止; it applies at every practice site at once."""

    NORMAL = "normal"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class PracticeRole(StrEnum):
    PHYSICIAN = "physician"
    PHARMACIST = "pharmacist"
    NURSE = "nurse"
    TECHNICIAN = "technician"
    PRINCIPAL = "principal"


def plain_text(value: str | None) -> str | None:
    """Trimmed text without control characters, which no name needs and PostgreSQL refuses."""
    if value is None:
        return None
    value = value.strip()
    if any(unicodedata.category(char) in {"Cc", "Cs"} for char in value):
        raise ValueError("must not contain control characters")
    if not value:
        raise ValueError("must not be blank")
    return value


class SubjectBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    designated_on: date | None = None


class SubjectAttributes(SQLModel):
    """Kind-specific attributes as the API speaks them; the table stores their string values."""

    level: InstitutionLevel | None = None
    ownership: Ownership | None = None
    agreement_status: AgreementStatus | None = None
    qualification_status: QualificationStatus | None = None


class SubjectCreate(SubjectAttributes, SubjectBase):
    """A new subject; identifiers and attributes that do not apply to its kind are refused."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    kind: str = Field(min_length=1, max_length=40)
    # Generous input lengths: spaces and hyphens are removed before the precise checks.
    uscc: str | None = Field(default=None, max_length=40)
    resident_id: str | None = Field(default=None, max_length=40)
    insurance_no: str | None = Field(default=None, max_length=40)
    nhsa_code: str | None = Field(default=None, max_length=40)
    region_code: str | None = Field(default=None, max_length=12)
    override_check_digit: bool = False
    override_reason: str | None = Field(default=None, max_length=500)

    _clean = field_validator("name", "override_reason")(plain_text)


class SubjectUpdate(SQLModel):
    """A partial change; fields left out stay as they are, `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    name: str | None = Field(default=None, min_length=1, max_length=200)
    uscc: str | None = Field(default=None, max_length=40)
    resident_id: str | None = Field(default=None, max_length=40)
    insurance_no: str | None = Field(default=None, max_length=40)
    nhsa_code: str | None = Field(default=None, max_length=40)
    region_code: str | None = Field(default=None, max_length=12)
    level: InstitutionLevel | None = None
    ownership: Ownership | None = None
    designated_on: date | None = None
    agreement_status: AgreementStatus | None = None
    qualification_status: QualificationStatus | None = None
    override_check_digit: bool = False
    override_reason: str | None = Field(default=None, max_length=500)

    _clean = field_validator("name", "override_reason")(plain_text)


class Subject(SubjectBase, table=True):
    __tablename__ = "subject"
    __table_args__ = (
        CheckConstraint(check_in("level", list(InstitutionLevel)), name="level"),
        CheckConstraint(check_in("ownership", list(Ownership)), name="ownership"),
        CheckConstraint(check_in("agreement_status", list(AgreementStatus)), name="agreement"),
        CheckConstraint(
            check_in("qualification_status", list(QualificationStatus)), name="qualification"
        ),
        CheckConstraint("uscc IS NULL OR resident_id_hash IS NULL", name="one_party"),
        CheckConstraint(
            "NOT identifier_override OR override_reason IS NOT NULL", name="override_reason"
        ),
        UniqueConstraint("kind", "nhsa_code"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    # No check constraint on kind: kinds are configuration (kinds.yaml), not schema.
    kind: str = Field(max_length=40, index=True)
    name: str = Field(max_length=200)
    uscc: str | None = Field(default=None, max_length=18, unique=True)
    resident_id_hash: str | None = Field(default=None, max_length=64, unique=True)
    resident_id_sealed: bytes | None = Field(default=None, sa_type=LargeBinary)
    resident_id_masked: str | None = Field(default=None, max_length=18)
    insurance_no_hash: str | None = Field(default=None, max_length=64, unique=True)
    insurance_no_sealed: bytes | None = Field(default=None, sa_type=LargeBinary)
    insurance_no_masked: str | None = Field(default=None, max_length=30)
    nhsa_code: str | None = Field(default=None, max_length=30, index=True)
    region_code: str | None = Field(default=None, max_length=6, index=True)
    level: str | None = Field(default=None, max_length=20)
    ownership: str | None = Field(default=None, max_length=20)
    agreement_status: str | None = Field(default=None, max_length=20)
    qualification_status: str | None = Field(default=None, max_length=20)
    identifier_override: bool = False
    override_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # The name as a matcher compares it (`credit.subjects.names`): one written form without the
    # organisation's legal form and facility word, and that key's pinyin.
    name_key: str | None = Field(default=None, max_length=200, index=True)
    name_pinyin: str | None = Field(default=None, max_length=1000, index=True)


class SubjectNameGram(SQLModel, table=True):
    """One character pair of a subject's name key: candidates are found by shared pairs."""

    __tablename__ = "subject_name_gram"

    gram: str = Field(max_length=8, primary_key=True)
    subject_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), primary_key=True, index=True)
    )


class SubjectPublic(SubjectAttributes, SubjectBase):
    """A subject as answered; personal identifiers are masked unless the reader may see them."""

    id: int
    kind: str
    uscc: str | None
    resident_id: str | None
    insurance_no: str | None
    identifiers_masked: bool
    nhsa_code: str | None
    region_code: str | None
    identifier_override: bool
    override_reason: str | None
    created_at: datetime
    updated_at: datetime


class PracticeSiteCreate(SQLModel):
    """A person starts at an institution; the subject in the path is one side of the pair."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    person_id: int | None = Field(default=None, ge=1, le=ID_MAX)
    institution_id: int | None = Field(default=None, ge=1, le=ID_MAX)
    role: PracticeRole
    started_on: date | None = None
    ended_on: date | None = None


class PracticeSiteEnd(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    ended_on: date | None = None


class PracticeSite(SQLModel, table=True):
    """A person practising at an institution from `started_on` through `ended_on` inclusive."""

    __tablename__ = "practice_site"
    __table_args__ = (
        CheckConstraint(check_in("role", list(PracticeRole)), name="role"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
        CheckConstraint("person_id <> institution_id", name="two_parties"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    person_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), nullable=False, index=True)
    )
    institution_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), nullable=False, index=True)
    )
    role: str = Field(max_length=20)
    started_on: date
    ended_on: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


# The tables behind the table models, typed (SQLModel leaves `__table__` untyped).
SUBJECT_TABLE = SQLModel.metadata.tables["subject"]
PRACTICE_SITE_TABLE = SQLModel.metadata.tables["practice_site"]
NAME_GRAM_TABLE = SQLModel.metadata.tables["subject_name_gram"]


class PracticeSitePublic(SQLModel):
    id: int
    person_id: int
    person_name: str
    institution_id: int
    institution_name: str
    role: PracticeRole
    started_on: date
    ended_on: date | None
    current: bool
