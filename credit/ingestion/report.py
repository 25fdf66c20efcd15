"""What an import did: counts and every broken rule with the line it came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from credit.ingestion.models import ImportMode


class ErrorLike(Protocol):
    """Any ingest's row error: the records engine's and this module's both fit."""

    @property
    def line(self) -> int: ...
    @property
    def field(self) -> str | None: ...
    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    field: str | None
    rule: str
    message: str


@dataclass(slots=True)
class ImportReport:
    """Counts of rows created, unchanged and rejected; `errors` may hold several per line."""

    mode: ImportMode
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[ErrorLike] = field(default_factory=list)

    def reject(self, line: int, failures: Iterable[tuple[str | None, str, str]]) -> None:
        """Count one rejected row and keep each rule it broke."""
        self.rejected += 1
        self.errors.extend(LineError(line, name, rule, message) for name, rule, message in failures)

    @property
    def refused(self) -> bool:
        """True when all_or_nothing mode must store nothing because a row is bad."""
        return self.mode == ImportMode.ALL_OR_NOTHING and self.rejected > 0
