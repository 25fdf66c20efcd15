"""CSV and NDJSON row sources that read one physical line at a time.

Text is UTF-8 (a byte-order mark is allowed and dropped) unless the caller names GB18030 (which
also reads GBK and GB2312 files). The whole file's encoding is checked before the first row is
handed out, so a GBK file sent as UTF-8 is refused as a unit with the first line that does not
decode, instead of half its rows being imported.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Collection, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from credit.ingestion.formats import Layout, RowProblem, RowSource, check_header, empty_file
from credit.ingestion.formats import text_row as parse_text_row
from credit.kernel.errors import InvalidInput

CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "gb18030": "gb18030",
    "gbk": "gb18030",  # GB18030 is a superset of GBK and GB2312, so it reads all three
    "gb2312": "gb18030",
}
MAX_LINE_BYTES = 1 << 20
"""One physical line may hold at most 1 MiB, so a file without newlines cannot exhaust memory."""
SCAN_CHUNK = 1 << 20
LINE_BLOCK = 1 << 18
UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def codec_for(encoding: str) -> str:
    """The Python codec for a supported encoding name; other names are refused."""
    codec = CODECS.get(encoding.strip().lower())
    if codec is None:
        raise InvalidInput(
            f"encoding {encoding!r} is not supported; use utf-8 or gb18030 (also reads GBK)",
            field="encoding",
            rule="supported_encoding",
        )
    return codec


def _file_codec(path: Path, encoding: str) -> str:
    """The codec to read `path` with; a byte-order mark overrides the caller's choice."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(UTF16_BOMS):
        raise InvalidInput(
            "the file is UTF-16 (Excel's 'Unicode text'); save it as CSV UTF-8 instead",
            field="encoding",
            rule="encoding",
        )
    return "utf-8" if head.startswith(UTF8_BOM) else codec_for(encoding)


def _line_too_long(number: int) -> InvalidInput:
    return InvalidInput(
        f"line {number} is longer than {MAX_LINE_BYTES // 1024} KiB; is this a text file?",
        field="file",
        rule="line_length",
        extra={"line": number},
    )


def _physical_lines(handle: IO[bytes]) -> Iterator[bytes]:
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise _line_too_long(number)
        yield raw


def _check_lengths(whole_lines: bytes, lines_before: int) -> None:
    """Refuse a line of more than MAX_LINE_BYTES (its newline not counted), as `_physical_lines`
    does."""
    for number, line in enumerate(whole_lines.split(b"\n"), start=lines_before + 1):
        if len(line) > MAX_LINE_BYTES:
            raise _line_too_long(number)


def _decode_block(raw: bytes, codec: str, lines_before: int) -> str:
    """A block of whole lines decoded; a fault is reported with its line, as `_decode` does."""
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        for number, line in enumerate(raw.split(b"\n"), start=lines_before + 1):
            _decode(line, codec, number)
        raise


def _decode(raw: bytes, codec: str, line: int) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        raise _encoding_error(raw, error, codec, line) from None


def _encoding_error(raw: bytes, error: UnicodeDecodeError, codec: str, line: int) -> InvalidInput:
    byte = raw[error.start]
    message = (
        f"line {line} is not valid {codec.upper()}: byte 0x{byte:02X} at position "
        f"{error.start + 1} of the line"
    )
    if codec == "utf-8":
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            message += "; save the file as UTF-8"
        else:
            message += (
                "; the file looks GBK/GB18030-encoded (Excel's default CSV on Chinese Windows): "
                "save it as 'CSV UTF-8' or send it again with encoding=gb18030"
            )
    return InvalidInput(message, field="encoding", rule="encoding", extra={"line": line})


def _scan(path: Path, codec: str) -> int:
    """Check that the whole file decodes; the number of non-blank lines, counted up to 2."""
    # utf-8-sig drops a byte-order mark, so a file holding only one counts as empty.
    decoder = codecs.getincrementaldecoder("utf-8-sig" if codec == "utf-8" else codec)()
    non_blank = 0
    tail = ""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(SCAN_CHUNK):
                text = decoder.decode(chunk)
                if non_blank < 2:  # only "none", "one" or "more" matters to the callers
                    *lines, tail = (tail + text).split("\n")
                    non_blank += sum(1 for line in lines if line.strip())
            decoder.decode(b"", final=True)
        non_blank += 1 if tail.strip() else 0
    except UnicodeDecodeError:
        # Decoding in large chunks is fast but loses the line; find it line by line.
        with path.open("rb") as handle:
            for number, raw in enumerate(_physical_lines(handle), start=1):
                _decode(raw, codec, number)
        raise  # unreachable unless the two decoders disagree
    return non_blank


class _TextRows(RowSource):
    """Shared line reading: decoding, BOM removal, byte counting for progress bars."""

    def __init__(self, path: Path, layout: Layout, *, encoding: str) -> None:
        super().__init__()
        self.path = path
        self.layout = layout
        self.codec = _file_codec(path, encoding)
        self.non_blank_lines = _scan(path, self.codec)
        if self.non_blank_lines == 0:
            raise empty_file()
        self._consumed = 0

    def _lines(self, handle: IO[bytes]) -> Iterator[str]:
        """Decoded physical lines; `_consumed` counts them, `bytes_read` their bytes."""
        self._consumed = 0
        for raw in _physical_lines(handle):
            self._consumed += 1
            self.bytes_read += len(raw)
            text = _decode(raw, self.codec, self._consumed)
            if self._consumed == 1:
                text = text.removeprefix("\ufeff")
            yield text


class CsvRows(_TextRows):
    """A CSV file whose first line names the columns (comma- or tab-separated)."""

    def __init__(self, path: Path, layout: Layout, *, encoding: str = "utf-8") -> None:
        super().__init__(path, layout, encoding=encoding)
        with path.open("rb") as handle:
            first = next(self._lines(handle))
        self.delimiter = "\t" if "\t" in first and "," not in first else ","
        header = next(csv.reader([first], delimiter=self.delimiter), [])
        self.columns = check_header(header, layout)
        if self.non_blank_lines < 2:
            raise InvalidInput(
                "the file has a header line but no rows", field="file", rule="not_empty"
            )

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Every non-blank record after the header, with the line it starts on."""
        with self.path.open("rb") as handle:
            reader = csv.reader(self._block_lines(handle), delimiter=self.delimiter)
            next(reader)
            while True:
                start = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    raise InvalidInput(
                        f"line {start} is not valid CSV: {error}",
                        field="file",
                        rule="csv",
                        extra={"line": start},
                    ) from None
                # The first cell usually settles it; the join is exact for any cell, though.
                if (cells and cells[0].strip()) or "".join(cells).strip():
                    yield start, cells

    def _block_lines(self, handle: IO[bytes]) -> Iterator[str]:
        """The lines `_lines` gives, decoded a block at a time: a Python step per line cost a
        sixth of a million-row import."""
        number = 0  # lines handed out so far
        tail = b""
        while block := handle.read(LINE_BLOCK):
            self.bytes_read += len(block)
            block = tail + block
            # A newline byte is never part of a multi-byte UTF-8 or GB18030 character, so the
            # part up to the last one decodes on its own.
            cut = block.rfind(b"\n") + 1
            whole, tail = block[:cut], block[cut:]
            if len(tail) > MAX_LINE_BYTES:
                raise _line_too_long(number + whole.count(b"\n") + 1)
            if cut > MAX_LINE_BYTES:  # only then can a line inside be too long
                _check_lengths(whole, number)
            lines = _decode_block(whole, self.codec, number).split("\n")
            lines.pop()  # the empty text after the last newline
            if number == 0 and lines:
                lines[0] = lines[0].removeprefix("\ufeff")
            number += len(lines)
            yield from [line + "\n" for line in lines]
        if tail:
            text = _decode_block(tail, self.codec, number)
            yield text.removeprefix("\ufeff") if number == 0 else text

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        self.bytes_read = 0
        for line, cells in self._records():
            self.rows_read += 1
            row = parse_text_row(line, self.columns, cells, self.problems)
            if row is not None:
                yield line, row

    def raw_rows(self, lines: Collection[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        wanted = set(lines)
        for line, cells in self._records():
            if line in wanted:
                yield line, dict(zip(self.columns, cells, strict=False))


class NdjsonRows(_TextRows):
    """One JSON object per line; blank lines are skipped, numbers with a fraction stay exact."""

    def __init__(self, path: Path, layout: Layout, *, encoding: str = "utf-8") -> None:
        super().__init__(path, layout, encoding=encoding)
        self.columns = list(layout.columns)

    def _objects(self) -> Iterator[tuple[int, dict[str, Any] | RowProblem, str]]:
        with self.path.open("rb") as handle:
            for text in self._lines(handle):
                line = self._consumed
                if not text.strip():
                    continue
                try:
                    # Decimal, not float: amounts in yuan must arrive exactly as sent.
                    value = json.loads(text, parse_float=Decimal)
                except json.JSONDecodeError as error:
                    message = f"line {line} is not valid JSON: {error.msg} at column {error.colno}"
                    yield line, RowProblem(line, None, "json", message), text
                    continue
                if not isinstance(value, dict):
                    message = f"line {line} is not a JSON object but {type(value).__name__}"
                    yield line, RowProblem(line, None, "json_object", message), text
                    continue
                yield line, value, text

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        self.bytes_read = 0
        for line, value, _ in self._objects():
            self.rows_read += 1
            if isinstance(value, RowProblem):
                self.problems.append(value)
            else:
                yield line, value

    def raw_rows(self, lines: Collection[int]) -> Iterator[tuple[int, dict[str, Any]]]:
        wanted = set(lines)
        for line, value, text in self._objects():
            if line in wanted:
                yield line, (value if isinstance(value, dict) else {"_line": text.strip()})
