"""Import batches and their rejected rows, kept so the full report can be downloaded later."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from credit.kernel.db import IdType, UTCDateTime, check_in


class ImportKind(StrEnum):
    RECORDS = "records"
    METRICS = "metrics"


class ImportMode(StrEnum):
    """`partial` stores the good rows; `all_or_nothing` stores none if any row is bad."""

    PARTIAL = "partial"
    ALL_OR_NOTHING = "all_or_nothing"


class ImportBatch(SQLModel, table=True):
    """One imported file: who sent it, when, how, and what came of its rows."""

    __tablename__ = "import_batch"
    __table_args__ = (
        CheckConstraint(check_in("kind", list(ImportKind)), name="kind"),
        CheckConstraint(check_in("mode", list(ImportMode)), name="mode"),
        CheckConstraint(check_in("file_format", ("ndjson", "csv", "xlsx")), name="file_format"),
        CheckConstraint("created >= 0 AND unchanged >= 0 AND rejected >= 0", name="counts"),
    )

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    mode: str = Field(max_length=20)
    file_name: str | None = Field(default=None, max_length=255)
    media_type: str | None = Field(default=None, max_length=120)
    file_format: str = Field(max_length=10)
    # The file's columns in its own order: the rejected-rows CSV repeats them.
    columns: str = Field(sa_column=Column(Text, nullable=False))
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    stored: bool = Field(description="False when all_or_nothing refused the whole file")
    actor: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    account_id: int | None = Field(default=None, sa_type=IdType)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ImportRejection(SQLModel, table=True):
    """One broken rule of one rejected row, with the row as the file held it."""

    __tablename__ = "import_rejection"
    __table_args__ = (Index("ix_import_rejection_batch_line", "batch_id", "line"),)

    id: int | None = Field(default=None, sa_type=IdType, primary_key=True)
    batch_id: int = Field(sa_column=Column(IdType, ForeignKey("import_batch.id"), nullable=False))
    line: int
    field: str | None = Field(default=None, max_length=80)
    rule: str = Field(max_length=60)
    message: str = Field(sa_column=Column(Text, nullable=False))
    # JSON of the row's cells as sent (the first rule broken on a line carries it; null after).
    original: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# The tables behind the table models, typed (SQLModel leaves `__table__` untyped).
IMPORT_BATCH_TABLE = SQLModel.metadata.tables["import_batch"]
IMPORT_REJECTION_TABLE = SQLModel.metadata.tables["import_rejection"]


class RowError(SQLModel):
    line: int
    field: str | None
    rule: str
    message: str


class ImportBatchPublic(SQLModel):
    """A batch as answered: counts, the first errors, and where the full report is."""

    id: int
    kind: ImportKind
    mode: ImportMode
    file_name: str | None
    media_type: str | None
    file_format: str
    created: int
    unchanged: int
    rejected: int
    stored: bool
    actor: str
    started_at: datetime
    finished_at: datetime
    errors: list[RowError]
    errors_total: int
    errors_truncated: bool
    rejected_csv: str | None
