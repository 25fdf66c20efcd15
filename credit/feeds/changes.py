"""Change feeds: one stream's changes after a cursor, in seq order (DESIGN 9).

The cursor is the `seq` of the last change a partner holds, as decimal text: `since=0` (or no
`since`) starts from the beginning, `next_cursor` is the seq of the last change on the page (or
the same `since` when nothing changed). A seq is never reused, so a partner may store it and
resume from it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from credit.changelog.models import FeedStream
from credit.feeds import present, repository
from credit.kernel.db import ID_MAX
from credit.kernel.errors import DomainError
from credit.kernel.statements import Statements
from credit.subjects.pii import PersonalIdentifiers

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class BadCursor(DomainError):
    """A `since` this API never issued: 400, naming the parameter."""

    title = "Invalid cursor"


def parse_since(since: str | None) -> int:
    """The seq after which to read; refuses anything but a non-negative integer."""
    if since is None or since == "":
        return 0
    text = since.strip()
    if not text.isascii() or not text.isdigit():
        raise BadCursor(
            f"since must be a cursor this feed issued (the decimal seq of a change), "
            f"not {since[:40]!r}",
            field="since",
            rule="cursor_format",
        )
    value = int(text)
    if value > ID_MAX:
        raise BadCursor("since is beyond any seq", field="since", rule="cursor_in_future")
    return value


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """The answer's exact JSON bytes and how many changes it holds."""

    content: bytes
    count: int
    next_cursor: str
    has_more: bool


async def read(
    statements: Statements,
    stream: FeedStream,
    since: str | None,
    limit: int,
    *,
    agency: str | None = None,
    pii: PersonalIdentifiers | None = None,
) -> ChangesPage:
    """A page of `stream` after `since`; `agency` narrows the measures stream to one agency,
    `pii` (the reader may see personal identifiers) adds full resident IDs.

    One range scan of the (stream, seq) index. A list entry read without `pii` is sent exactly
    as stored (already masked); on PostgreSQL the database then writes the page's JSON itself
    (`assembled_page`), so no row is handled in Python. Only an empty page asks whether `since`
    is past the last change (a cursor from the future is a 400, not an empty page)."""
    after = parse_since(since)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadCursor(f"limit must be 1 to {MAX_LIMIT}", field="limit", rule="range")
    as_stored = stream is not FeedStream.MEASURES and pii is None
    if as_stored and statements.dialect == "postgresql":
        page = await assembled_page(statements, stream, after, limit)
    else:
        page = await _built_page(statements, stream, after, limit, agency, pii)
    if not page.count and after and after > await repository.last_seq(statements):
        raise BadCursor(
            f"since={after} is past the last change; use a next_cursor this feed returned",
            field="since",
            rule="cursor_in_future",
        )
    return page


def _page(changes: bytes, count: int, next_cursor: str, has_more: bool) -> ChangesPage:
    content = b'{"changes":[%s],"next_cursor":"%s","has_more":%s}' % (
        changes,
        next_cursor.encode(),
        b"true" if has_more else b"false",
    )
    return ChangesPage(content, count, next_cursor, has_more)


async def assembled_page(
    statements: Statements, stream: FeedStream, after: int, limit: int
) -> ChangesPage:
    """The page with its changes' JSON written by PostgreSQL, byte for byte as `_built_page`
    writes it (a test holds the two to that)."""
    found = await repository.assembled_stream_page(statements, str(stream), after, limit)
    if not found or not found["count"]:
        return _page(b"", 0, str(after), False)
    return _page(
        bytes(found["changes"]), int(found["count"]), str(found["last"]), bool(found["has_more"])
    )


async def _built_page(
    statements: Statements,
    stream: FeedStream,
    after: int,
    limit: int,
    agency: str | None,
    pii: PersonalIdentifiers | None,
) -> ChangesPage:
    rows = await repository.stream_page(statements, str(stream), after, limit + 1, agency=agency)
    has_more = len(rows) > limit
    rows = rows[:limit]
    entries = await _entries(statements, stream, [row["body"] for row in rows], pii)
    next_cursor = str(rows[-1]["seq"]) if rows else str(after)
    parts = [
        b'{"seq":%d,"op":"%s","entry":%s,"at":"%s"}'
        % (row["seq"], row["op"].encode(), entry, row["occurred_at"].isoformat().encode())
        for row, entry in zip(rows, entries, strict=True)
    ]
    return _page(b",".join(parts), len(rows), next_cursor, has_more)


async def _entries(
    statements: Statements,
    stream: FeedStream,
    raw_bodies: list[str],
    pii: PersonalIdentifiers | None,
) -> list[bytes]:
    """Each stored body as the reader sees it, as JSON bytes.

    A list entry read without `pii` is sent exactly as stored (already masked), with no
    decoding; everything else is decoded and completed first.
    """
    if stream is not FeedStream.MEASURES and pii is None:
        return [body.encode() for body in raw_bodies]
    bodies: list[dict[str, Any]] = [orjson.loads(body) for body in raw_bodies]
    if stream is FeedStream.MEASURES:
        subject_ids = {int(body["subject_id"]) for body in bodies}
        plain = await present.resident_ids(statements, pii, subject_ids) if pii else {}
        cards = await present.subject_cards(statements, subject_ids, plain)
        return [
            orjson.dumps({**body, "subject": cards.get(int(body["subject_id"]))}) for body in bodies
        ]
    assert pii is not None
    plain = await present.resident_ids(statements, pii, present.persons_in(bodies))
    return [orjson.dumps(present.with_identifiers(body, plain)) for body in bodies]
