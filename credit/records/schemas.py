"""What a record looks like on the way in (one shape for the API and every import file) and out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from credit.kernel.db import ID_MAX
from credit.policy.vocabulary import Category, ResponsibilityTier, Severity
from credit.records.models import RecordStatus

MAX_RESPONSIBLE = 50
# No control characters (Unicode category Cc): no name or reference needs them and PostgreSQL
# refuses NUL. Checked by pydantic's own regex engine, which also refuses lone surrogates.
PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"
TIER_ALIASES = {
    "一般": ResponsibilityTier.GENERAL,
    "一般责任": ResponsibilityTier.GENERAL,
    "重要": ResponsibilityTier.IMPORTANT,
    "重要责任": ResponsibilityTier.IMPORTANT,
    "主要": ResponsibilityTier.PRINCIPAL,
    "主要责任": ResponsibilityTier.PRINCIPAL,
}
REQUIRED_FIELDS = ("subject_id", "item_code", "decided_on", "source_system", "source_ref")
OPTIONAL_FIELDS = (
    "severity",
    "occurred_on",
    "document_no",
    "amount_involved",
    "fine_amount",
    "rule_code",
    "responsible",
)
"""The columns of an import file, in the order an error file lists them."""


def _no_bool(value: Any) -> Any:
    # JSON `true` would otherwise pass as the id 1.
    if isinstance(value, bool):
        raise PydanticCustomError("integer", "must be a whole number")
    return value


def _date_input(value: Any) -> Any:
    # Numbers would otherwise pass as Unix timestamps; Excel hands over date(time) objects.
    if not isinstance(value, str | date):
        raise PydanticCustomError("date", "must be a date written YYYY-MM-DD")
    return value


def _tier(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return TIER_ALIASES.get(value, value.lower())
    return value


def _responsible_text(value: Any) -> Any:
    """`1001:principal;1002:一般`, the form a CSV or Excel cell carries, as a list of persons."""
    if value is None:
        return []  # an empty cell, a JSON null: nobody named
    if not isinstance(value, str):
        return value
    persons = []
    for part in value.replace("；", ";").replace("，", ";").replace(",", ";").split(";"):
        if not part.strip():
            continue
        subject_id, separator, tier = part.replace("：", ":").partition(":")
        if not separator:
            raise PydanticCustomError(
                "responsible_format", "write each person as subject_id:tier, separated by ;"
            )
        persons.append({"subject_id": subject_id.strip(), "tier": tier})
    return persons


def _blank_to_none(values: Any) -> Any:
    # An empty CSV cell or a blank string means "not given", as a JSON null does.
    if not isinstance(values, dict):
        return values
    for value in values.values():
        if value.__class__ is str and (not value or value.isspace()):
            break
    else:
        return values  # the usual case, without copying the row
    return {
        key: None if isinstance(value, str) and not value.strip() else value
        for key, value in values.items()
    }


SubjectRef = Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=ID_MAX)]
InputDate = Annotated[date, BeforeValidator(_date_input)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
ItemCodeInput = Annotated[
    str, Field(min_length=1, max_length=64, pattern=PRINTABLE), AfterValidator(str.upper)
]


Text40 = Annotated[str, Field(min_length=1, max_length=40, pattern=PRINTABLE)]
Text100 = Annotated[str, Field(min_length=1, max_length=100, pattern=PRINTABLE)]
# Line breaks are fine in a reason.
Reason = Annotated[
    str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*$")
]


class ResponsibleInput(BaseModel):
    """A person responsible for the recorded conduct and their tier (一般/重要/主要 责任)."""

    model_config = ConfigDict(extra="forbid")

    subject_id: SubjectRef
    tier: Annotated[ResponsibilityTier, BeforeValidator(_tier)]


class RecordFields(BaseModel):
    """The facts of a record that a correction may change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_code: ItemCodeInput
    severity: Severity | None = None  # the item's own tier when not given
    occurred_on: InputDate | None = None
    decided_on: InputDate
    document_no: Text100 | None = None
    amount_involved: Amount | None = None
    fine_amount: Amount | None = None
    rule_code: Text40 | None = None
    responsible: Annotated[
        list[ResponsibleInput],
        BeforeValidator(_responsible_text),
        Field(max_length=MAX_RESPONSIBLE),
    ] = []

    _blanks = model_validator(mode="before")(_blank_to_none)


class RecordSubmission(RecordFields):
    """One record as an API call or one row of an import file sends it."""

    subject_id: SubjectRef
    source_system: Text40
    source_ref: Text100


class RecordCorrection(BaseModel):
    """A correction: the fields that change (null clears an optional one) and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Reason
    item_code: ItemCodeInput | None = None
    severity: Severity | None = None
    occurred_on: InputDate | None = None
    decided_on: InputDate | None = None
    document_no: Text100 | None = None
    amount_involved: Amount | None = None
    fine_amount: Amount | None = None
    rule_code: Text40 | None = None
    responsible: Annotated[
        list[ResponsibleInput],
        BeforeValidator(_responsible_text),
        Field(max_length=MAX_RESPONSIBLE),
    ] = []

    _blanks = model_validator(mode="before")(_blank_to_none)


class ReasonInput(BaseModel):
    """Why a revocation (or another status change) is made; it is kept with the revision."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Reason


class ResponsiblePublic(BaseModel):
    subject_id: int
    tier: ResponsibilityTier
    name: str | None = None
    kind: str | None = None
    resident_id: str | None = None  # masked unless the reader may see it
    nhsa_code: str | None = None


class RecordPublic(BaseModel):
    """A record as it stands (or stood, when read `as_of` a past moment)."""

    id: int
    subject_id: int
    item_code: str
    pack_version_id: int
    category: Category
    severity: Severity | None
    occurred_on: date | None
    decided_on: date
    document_no: str | None
    legal_basis: str | None
    amount_involved: Decimal | None
    fine_amount: Decimal | None
    rule_code: str | None
    responsible: list[ResponsiblePublic]
    source_system: str
    source_ref: str
    recorded_at: datetime
    status: RecordStatus
    under_objection: bool  # 异议中: show the flag wherever the record shows
    revision: int
    revised_at: datetime
    published: bool
    publish_from: date | None
    publish_until: date | None
    is_public: bool


class RecordSubmitted(RecordPublic):
    """The answer to a submission: `created` False means the same record was already stored."""

    created: bool
    unchanged: bool


class RevisionPublic(BaseModel):
    revision: int
    status: RecordStatus
    changes: dict[str, Any]
    reason: str | None
    actor: str | None  # hidden from subject readers, who see the role
    actor_role: str
    known_from: datetime
    known_until: datetime | None


class RecordHistory(BaseModel):
    record_id: int
    items: list[RevisionPublic]


class RecordPage(BaseModel):
    items: list[RecordPublic]
    next_cursor: str | None
