"""Import uploads streamed to a temporary file: the body is never held whole in memory.

The file comes either as the request body (its media type names the format) or as the multipart
field `file`. Litestar's own body limit is switched off on the import routes and this module
enforces `Settings.import_max_bytes` instead, so the 413 answer can name the limit, and the
limit is one setting rather than a constant in a decorator.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from litestar import Request
from multipart import (
    MultipartError,
    MultipartSegment,
    PushMultipartParser,
)

from credit.ingestion.formats import MEDIA_TYPES
from credit.kernel.errors import DomainError, InvalidInput

MULTIPART = "multipart/form-data"
ACCEPTED_MEDIA_TYPES = (*sorted(MEDIA_TYPES), MULTIPART)
FILE_FIELD = "file"


class BodyTooLargeError(DomainError):
    status_code = 413
    title = "Request body too large"


class UnsupportedMediaTypeError(DomainError):
    status_code = 415
    title = "Unsupported media type"


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file on disk, with what the sender said about it."""

    path: Path
    file_name: str | None
    media_type: str | None
    charset: str | None
    size: int


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


@dataclass(frozen=True, slots=True)
class Limit:
    """How many bytes an upload may have, and what the 413 answer tells the sender to do."""

    bytes: int
    what: str = "import"
    hint: str = "split the file or ask an administrator to raise MEDCREDIT_IMPORT_MAX_BYTES"


def _too_large(limit: Limit) -> BodyTooLargeError:
    return BodyTooLargeError(
        f"the upload exceeds the {limit.what} limit of {limit.bytes} bytes "
        f"({_megabytes(limit.bytes)}); {limit.hint}",
        field="body",
        rule="max_size",
        extra={"limit_bytes": limit.bytes},
    )


async def _limited(request: Request[Any, Any, Any], limit: Limit) -> AsyncIterator[bytes]:
    """The body's chunks, stopping with 413 as soon as more than `limit` bytes arrived."""
    announced = request.content_length
    if announced is not None and announced > limit.bytes:
        raise _too_large(limit)  # refused before a byte is read
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit.bytes:
            raise _too_large(limit)
        yield chunk


def _file_name(disposition: str | None) -> str | None:
    if not disposition:
        return None
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename" and value:
            return Path(value.strip('"')).name[:255] or None
    return None


async def _multipart_to(
    chunks: AsyncIterator[bytes], boundary: str, target: IO[bytes]
) -> tuple[str | None, str | None, str | None]:
    """Copy the `file` field into `target`; the part's file name, media type and charset."""
    found: tuple[str | None, str | None, str | None] | None = None
    writing = False
    try:
        with PushMultipartParser(boundary, max_segment_count=16) as parser:
            async for chunk in chunks:
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        writing = event.name == FILE_FIELD and found is None
                        if writing:
                            name = Path(event.filename).name[:255] if event.filename else None
                            found = (name, event.content_type, event.charset)
                    elif event and writing:
                        target.write(event)
                    elif event is None:
                        writing = False
        # Leaving the parser's block checks the body ended properly; a cut-off one raises.
    except MultipartError as error:
        raise InvalidInput(
            f"the multipart body is malformed: {error}", field="body", rule="multipart"
        ) from None
    if found is None:
        raise InvalidInput(
            f"the multipart body has no field named {FILE_FIELD!r}",
            field=FILE_FIELD,
            rule="required",
        )
    return found


def _spool(directory: Path) -> IO[bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    # On disk under var/, never the system temp dir, which is often a RAM-backed tmpfs.
    return tempfile.NamedTemporaryFile(  # closed by receive, kept by path
        dir=directory, prefix="import-", suffix=".upload", delete=False
    )


def discard(path: Path) -> None:
    """Delete a received file (it is only needed while its import runs)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


async def receive(
    request: Request[Any, Any, Any],
    *,
    directory: Path,
    limit: int | Limit,
    media_types: Collection[str] = MEDIA_TYPES,
    purpose: str = "an import format",
) -> Upload:
    """Stream the upload to a new file under `directory`; the caller deletes it.

    `media_types` are the body types taken besides multipart (evidence takes its own); what the
    content really is, is for the caller to check.
    """
    limit = limit if isinstance(limit, Limit) else Limit(limit)
    media_type, options = request.content_type
    if media_type not in media_types and media_type != MULTIPART:
        accepted = [*sorted(media_types), MULTIPART]
        raise UnsupportedMediaTypeError(
            f"media type {media_type or '(none)'!r} is not {purpose}; send one of "
            f"{', '.join(accepted)}",
            field="Content-Type",
            rule="media_type",
            extra={"accepted": accepted},
        )
    handle = _spool(directory)
    path = Path(handle.name)
    try:
        with handle:
            chunks = _limited(request, limit)
            if media_type == MULTIPART:
                boundary = options.get("boundary")
                if not boundary:
                    raise InvalidInput(
                        "multipart body without a boundary", field="Content-Type", rule="multipart"
                    )
                file_name, part_type, charset = await _multipart_to(chunks, boundary, handle)
            else:
                # Small synchronous writes to the page cache: cheaper than a thread hop each.
                async for chunk in chunks:
                    handle.write(chunk)
                file_name = _file_name(request.headers.get("content-disposition"))
                part_type, charset = media_type, options.get("charset")
            size = handle.tell()
    except BaseException:
        discard(path)
        raise
    return Upload(path=path, file_name=file_name, media_type=part_type, charset=charset, size=size)
