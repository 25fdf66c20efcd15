"""Which file format an upload is, and the row source every parser answers with.

A row source yields `(line, row)` pairs lazily, so a million-row file never sits in memory. Line
numbers are what the sender sees: the physical line of a CSV or NDJSON file (a CSV header is line
1), the row number of an Excel sheet. Faults that spoil the whole file (empty, wrong encoding, a
required column missing) raise `InvalidInput` before the first row is handed out; faults of one
row (malformed JSON, too many cells) are kept in `problems` and that row is skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from credit.kernel.errors import InvalidInput


class FileFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"
    XLSX = "xlsx"


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES: dict[str, FileFormat] = {
    "application/x-ndjson": FileFormat.NDJSON,
    "application/ndjson": FileFormat.NDJSON,
    "application/jsonl": FileFormat.NDJSON,
    "text/csv": FileFormat.CSV,
    "application/csv": FileFormat.CSV,
    XLSX_MEDIA_TYPE: FileFormat.XLSX,
}
MEDIA_TYPE_OF: dict[FileFormat, str] = {
    FileFormat.NDJSON: "application/x-ndjson",
    FileFormat.CSV: "text/csv",
    FileFormat.XLSX: XLSX_MEDIA_TYPE,
}
SUFFIXES: dict[str, FileFormat] = {
    ".ndjson": FileFormat.NDJSON,
    ".jsonl": FileFormat.NDJSON,
    ".csv": FileFormat.CSV,
    ".xlsx": FileFormat.XLSX,
}
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the legacy .xls container

IGNORED_COLUMNS = frozenset({"error"})
"""The rejected-rows report's own column: a fixed report can be sent back unchanged."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row the parser could not hand on, with the line the sender sees."""

    line: int
    field: str | None
    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns a kind of import file has: which are required, which exist at all."""

    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


class RowSource:
    """Rows of one file; iterate once for the import, `raw_rows` again for the rejected report."""

    columns: list[str]
    """The file's own columns in its order (NDJSON: the layout's columns), for the report."""

    def __init__(self) -> None:
        self.problems: list[RowProblem] = []
        self.rows_read = 0
        self.bytes_read = 0

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        raise NotImplementedError

    def raw_rows(self, lines: Collection[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        """The rows at `lines` as the file holds them, the rejected ones included."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file; sources are also context managers."""

    def __enter__(self) -> RowSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def detect_format(
    path: Path, *, media_type: str | None = None, filename: str | None = None
) -> FileFormat:
    """The format the file's first bytes prove, else its media type, else its name's suffix.

    A workbook is recognised by its content first: offices often send one as `text/csv` or
    under a `.csv` name, and reading it as text would only give a baffling encoding error.
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(ZIP_MAGIC):
        return FileFormat.XLSX
    if head.startswith(OLE2_MAGIC):
        raise _legacy_xls()
    declared = [
        MEDIA_TYPES.get((media_type or "").split(";")[0].strip().lower()),
        SUFFIXES.get(Path(filename or path.name).suffix.lower()),
    ]
    for found in declared:  # the media type first, then the name
        if found is FileFormat.NDJSON or found is FileFormat.CSV:
            return found
    if FileFormat.XLSX in declared:
        raise InvalidInput(
            "the file is not a readable .xlsx workbook (it is not a zip archive)",
            field="file",
            rule="format",
        )
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return FileFormat.NDJSON
    return FileFormat.CSV


def _legacy_xls() -> InvalidInput:
    return InvalidInput(
        "legacy Excel .xls files are not read; save the sheet as .xlsx (Excel 工作簿) or CSV UTF-8",
        field="file",
        rule="format",
    )


def open_rows(
    path: Path, file_format: FileFormat, layout: Layout, *, encoding: str = "utf-8"
) -> RowSource:
    """A row source for `path`; whole-file faults raise here, before any row is read."""
    # Imported here so the light text path never pays for loading openpyxl.
    if file_format is FileFormat.XLSX:
        from credit.ingestion.workbook import WorkbookRows

        return WorkbookRows(path, layout)
    from credit.ingestion.textfiles import CsvRows, NdjsonRows

    if file_format is FileFormat.CSV:
        return CsvRows(path, layout, encoding=encoding)
    return NdjsonRows(path, layout, encoding=encoding)


def empty_file() -> InvalidInput:
    return InvalidInput("the file is empty: it holds no rows", field="file", rule="not_empty")


def check_header(header: list[str], layout: Layout) -> list[str]:
    """Normalised column names; a missing, unknown, blank or repeated column is refused once."""
    names = [name.strip().lower() for name in header]
    while names and not names[-1]:
        names.pop()  # Excel often carries empty trailing header cells
    if not names:
        raise empty_file()
    if "" in names:
        raise InvalidInput(
            f"column {names.index('') + 1} of the header has no name",
            field="header",
            rule="column_named",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(
            f"the header repeats the column {', '.join(repeated)}",
            field=repeated[0],
            rule="column_once",
        )
    missing = [name for name in layout.required if name not in names]
    if missing:
        raise InvalidInput(
            f"the header lacks the required column {', '.join(missing)}; required columns are "
            f"{', '.join(layout.required)}",
            field=missing[0],
            rule="required_column",
            extra={"missing_columns": missing},
        )
    unknown = [name for name in names if name not in layout.columns and name not in IGNORED_COLUMNS]
    if unknown:
        # A typo such as `decided_date` would otherwise drop that column's data silently.
        raise InvalidInput(
            f"the header has the unknown column {', '.join(unknown)}; known columns are "
            f"{', '.join(layout.columns)}",
            field=unknown[0],
            rule="known_column",
            extra={"unknown_columns": unknown},
        )
    return names


def text_row(
    line: int, columns: list[str], cells: list[str], problems: list[RowProblem]
) -> dict[str, Any] | None:
    """One CSV or Excel row as a dict of trimmed cells; None (and a problem kept) if it is bad.

    Cells stay text: the domain's row validation reads text and JSON values alike.
    """
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        problems.append(
            RowProblem(
                line,
                None,
                "cell_count",
                f"line {line} has {len(cells)} cells but the header names {len(columns)} columns",
            )
        )
        return None
    # An empty cell is an absent value, as a JSON null would be. Built with C-level helpers:
    # this runs once per row of files with millions of rows.
    row: dict[str, Any] = dict(zip(columns, [cell.strip() or None for cell in cells], strict=False))
    if not IGNORED_COLUMNS.isdisjoint(row):
        for name in IGNORED_COLUMNS.intersection(row):
            del row[name]
    return row
