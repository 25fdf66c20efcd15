"""Excel `.xlsx` rows through openpyxl's read-only mode, which streams the sheet's XML.

The first worksheet is read; its first non-empty row names the columns. Line numbers are the
sheet's row numbers, as Excel shows them. Cells become the text a CSV export of the same sheet
would hold, so both formats go through the same validation: whole numbers without `.0`,
dates as ISO `2026-03-31`, decimals in their shortest exact form.
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection, Generator, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from credit.ingestion.formats import Layout, RowSource, check_header, empty_file, text_row
from credit.kernel.errors import InvalidInput


def cell_text(value: object) -> str:
    """The text of one cell value as a CSV export would show it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # repr is the shortest text that reads back to the same float: 1234.56, not 1234.5599…
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


class WorkbookRows(RowSource):
    """The first sheet of an `.xlsx` workbook, one row at a time."""

    def __init__(self, path: Path, layout: Layout) -> None:
        super().__init__()
        self.path = path
        self.layout = layout
        rows = self._sheet_rows()
        try:
            header_line, header = next(rows, (0, []))
            self.columns = check_header(header, layout)
            self._header_line = header_line
            if next(rows, None) is None:
                raise InvalidInput(
                    f"the sheet has a header in row {header_line} but no rows below it",
                    field="file",
                    rule="not_empty",
                )
        finally:
            rows.close()

    def _sheet_rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """Non-empty rows of the first sheet as text cells, with their row numbers."""
        # A file object, not the path: openpyxl judges a path by its suffix, and uploads are
        # spooled under neutral names.
        with self.path.open("rb") as handle:
            try:
                workbook = load_workbook(handle, read_only=True, data_only=True)
            except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
                raise InvalidInput(
                    f"the file is not a readable .xlsx workbook ({error})",
                    field="file",
                    rule="format",
                ) from None
            try:
                if not workbook.worksheets:
                    raise empty_file()
                sheet = workbook.worksheets[0]
                # Some writers record a wrong used range; forget it and read every row present.
                sheet.reset_dimensions()
                for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
                    cells = [cell_text(value) for value in values]
                    if any(cell.strip() for cell in cells):
                        yield number, cells
            finally:
                workbook.close()

    def _data_rows(self) -> Generator[tuple[int, list[str]], None, None]:
        rows = self._sheet_rows()
        try:
            for number, cells in rows:
                if number > self._header_line:
                    yield number, cells
        finally:
            rows.close()

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for line, cells in self._data_rows():
            self.rows_read += 1
            row = text_row(line, self.columns, cells, self.problems)
            if row is not None:
                yield line, row

    def raw_rows(self, lines: Collection[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        wanted = set(lines)
        for line, cells in self._data_rows():
            if line in wanted:
                yield line, dict(zip(self.columns, cells, strict=False))
