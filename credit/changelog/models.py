"""One row per change of a list entry or measure assignment, numbered in commit order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in


class ChangeOp(StrEnum):
    ADD = "ADD"  # the entity became visible to partners
    MOD = "MOD"  # it changed and stays visible
    DEL = "DEL"  # it stopped (removed entry, ended assignment): an event, never a silence


class ChangedEntity(StrEnum):
    LIST_ENTRY = "list_entry"
    MEASURE_ASSIGNMENT = "measure_assignment"


class FeedStream(StrEnum):
    """The feeds partners read; each change belongs to exactly one."""

    BLACK = "black"
    RED = "red"
    FOCUS = "focus"
    MEASURES = "measures"


LIST_STREAMS = (FeedStream.BLACK, FeedStream.RED, FeedStream.FOCUS)


def stream_of(entity: ChangedEntity | str, body: Mapping[str, Any]) -> FeedStream:
    """A list entry's change goes to its list's feed, an assignment's to the measures feed."""
    if ChangedEntity(entity) is ChangedEntity.MEASURE_ASSIGNMENT:
        return FeedStream.MEASURES
    return FeedStream(body["list"])


class ChangeLogEntry(SQLModel, table=True):
    __tablename__ = "change_log"
    __table_args__ = (
        CheckConstraint(check_in("op", [str(op) for op in ChangeOp]), name="op"),
        CheckConstraint(check_in("entity", [str(kind) for kind in ChangedEntity]), name="entity"),
        CheckConstraint(check_in("stream", [str(name) for name in FeedStream]), name="stream"),
        Index("ix_change_log_entity_entity_id", "entity", "entity_id"),
        # A feed page reads one stream in seq order; the measures feed one agency's part of it.
        Index("ix_change_log_stream_seq", "stream", "seq"),
        Index("ix_change_log_stream_agency_seq", "stream", "agency", "seq"),
        # A snapshot finds each entity's last change in its stream.
        Index("ix_change_log_stream_entity_id_seq", "stream", "entity_id", "seq"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    seq: int = Field(sa_type=IdType, unique=True)  # gap-free, in commit order
    stream: str = Field(max_length=10)
    entity: str = Field(max_length=30)
    entity_id: int = Field(sa_type=IdType)
    op: str = Field(max_length=3)
    subject_id: int = Field(sa_type=IdType, foreign_key="subject.id", index=True)
    # A measure assignment is for one implementing agency; None means every partner may see it.
    agency: str | None = Field(default=None, max_length=40, index=True)
    public: bool = False  # also shown on the public pages (published black and red entries)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = Field(sa_type=UTCDateTime)
