"""What the list API takes and answers; table models are never answered directly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from credit.kernel.db import ID_MAX
from credit.kernel.errors import PRINTABLE_TEXT
from credit.lists.models import EntryStatus, ListEntry, RemovalReason

Line = Annotated[str, Field(min_length=1, max_length=1000, pattern=PRINTABLE_TEXT)]
Reference = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE_TEXT)]
# Long texts (a basis, a statement) may hold line breaks; other control characters are refused.
LONG_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=LONG_TEXT)]
PositiveId = Annotated[int, Field(ge=1, le=ID_MAX)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ListEntryCreate(_Input):
    """An officer's proposal: who, by which criterion of the pack, why, on what records."""

    subject_id: PositiveId
    criterion_code: str = Field(min_length=1, max_length=64)
    reasons: list[Line] = Field(min_length=1, max_length=20)
    legal_basis: str | None = Field(default=None, max_length=4000, pattern=LONG_TEXT)
    record_ids: list[PositiveId] = Field(default_factory=list, max_length=100)
    documents: list[Reference] = Field(default_factory=list, max_length=20)
    reason: Reason | None = None


class TransitionInput(_Input):
    """One step of the procedure; the fields after `documents` apply to some steps only."""

    to: EntryStatus
    reason: Reason | None = None
    documents: list[Reference] = Field(default_factory=list, max_length=20)
    # The decision (black): how the subject's statement and defence was weighed.
    defence_considered: Reason | None = None
    # Publication (red): years of validity within the pack's range; the pack's default if None.
    valid_years: int | None = Field(default=None, ge=1, le=20)
    removal_reason: RemovalReason | None = None


class AmendInput(_Input):
    """A change to an entry in force (a corrected basis, a shortened period): a MOD for partners."""

    reason: Reason
    reasons: list[Line] | None = Field(default=None, min_length=1, max_length=20)
    legal_basis: str | None = Field(default=None, max_length=4000, pattern=LONG_TEXT)
    valid_until: date | None = None
    documents: list[Reference] = Field(default_factory=list, max_length=20)


class AttachmentInput(_Input):
    file_name: str = Field(min_length=1, max_length=255, pattern=PRINTABLE_TEXT)
    media_type: str = Field(min_length=3, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")
    content_base64: str = Field(min_length=1)


class DefenceInput(_Input):
    """The subject's statement and defence (陈述申辩), with evidence attached."""

    statement: str = Field(min_length=1, max_length=20_000, pattern=LONG_TEXT)
    attachments: list[AttachmentInput] = Field(default_factory=list, max_length=5)


# Aliases: inside ListEntryPublic the field `list` hides the builtin.
Strings = list[str]
Ids = list[int]


class ListEntryPublic(BaseModel):
    id: int
    list: str
    subject_id: int
    subject_name: str
    subject_kind: str
    status: str
    criterion_code: str
    reasons: Strings
    legal_basis: str
    record_ids: Ids
    automatic: bool
    proposed_by: str
    proposed_at: datetime
    notice_deadline: date | None
    notice_deadline_exact: bool
    decided_by: str | None
    decided_on: date | None
    decision_note: str | None
    publicity_until: date | None
    valid_from: date | None
    valid_until: date | None
    removal_reason: str | None
    removed_on: date | None
    under_objection: bool = False  # 异议中

    @classmethod
    def of(cls, entry: ListEntry, subject_name: str, subject_kind: str) -> ListEntryPublic:
        fields: dict[str, Any] = entry.model_dump()
        return cls(
            **fields, list=entry.list_name, subject_name=subject_name, subject_kind=subject_kind
        )

    model_config = ConfigDict(extra="ignore")


class ListEntryEventPublic(BaseModel):
    from_status: str | None
    to_status: str
    actor: str
    actor_role: str
    occurred_at: datetime
    reason: str | None
    documents: list[str]
    changes: dict[str, Any]


class AttachmentPublic(BaseModel):
    id: int
    file_name: str
    media_type: str
    size: int
    sha256: str


class DefencePublic(BaseModel):
    id: int
    statement: str
    submitted_by: str
    submitted_at: datetime
    attachments: list[AttachmentPublic]


Events = list[ListEntryEventPublic]
Defences = list[DefencePublic]
Entries = list[ListEntryPublic]


class ListEntryDetail(ListEntryPublic):
    events: Events
    defences: Defences


class ListEntryPage(BaseModel):
    items: Entries
    next_cursor: str | None
