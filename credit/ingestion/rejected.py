"""The rejected-rows file: the sender's own columns plus `error`, ready to fix and send again.

The import ignores a column named `error`, so the fixed file goes back as it is.

UTF-8 with a byte-order mark, because Excel on Chinese Windows opens a BOM-less CSV as GBK and
garbles every Chinese character. Cells are written as sent; they are the sender's own data, so no
formula escaping is applied (it would change values such as `-5` on the way back in).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from credit.ingestion.layouts import format_responsible

BOM = "\ufeff"
ERROR_COLUMN = "error"


def cell(value: Any) -> str:
    """A value as CSV text that the import reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return format_responsible(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def header(columns: list[str]) -> str:
    return BOM + _line([*columns, ERROR_COLUMN])


def row(columns: list[str], line: int, original: dict[str, Any] | None, messages: list[str]) -> str:
    original = original or {}
    error = "; ".join(messages)
    if not error.startswith("line "):
        error = f"line {line}: {error}"  # where it was in the file first sent
    if "_line" in original and not any(name in original for name in columns):
        # An NDJSON line that was not an object: keep what was sent next to the reason.
        error = f"{error} | sent: {str(original['_line'])[:500]}"
    return _line([*(cell(original.get(name)) for name in columns), error])


async def lines(
    columns: list[str], rejections: AsyncIterator[tuple[int, dict[str, Any] | None, str]]
) -> AsyncIterator[str]:
    """CSV text for (line, original, message) triples in line order; one row per line."""
    yield header(columns)
    current: int | None = None
    original: dict[str, Any] | None = None
    messages: list[str] = []
    async for line, sent, message in rejections:
        if line != current and current is not None:
            yield row(columns, current, original, messages)
            messages = []
        if line != current:
            current, original = line, sent
        messages.append(message)
    if current is not None:
        yield row(columns, current, original, messages)
