"""What an ingest call answers: counts, and every rejected row with its line, field and rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ImportMode = Literal["partial", "all_or_nothing"]


@dataclass(frozen=True, slots=True)
class RowError:
    """One broken rule of one row, with the line the sender sees."""

    line: int
    field: str
    rule: str
    message: str
    source_ref: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "rule": self.rule, "message": self.message}


@dataclass(slots=True)
class ImportReport:
    """What an ingest call did. When `rolled_back`, nothing at all was stored."""

    source_label: str
    mode: ImportMode
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    rolled_back: bool = False
    batch: str = ""
    first_record_id: int | None = None
    last_record_id: int | None = None

    @property
    def rejected_lines(self) -> list[int]:
        """The lines of rejected rows, for an error file that repeats them."""
        return sorted({error.line for error in self.errors})

    def as_dict(self) -> dict[str, Any]:
        """The answer of an import: counts and every error with its line, field and rule."""
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [error.as_dict() for error in self.errors],
            "mode": self.mode,
            "rolled_back": self.rolled_back,
        }
