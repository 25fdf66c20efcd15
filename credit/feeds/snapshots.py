"""List snapshots (DESIGN 9): the whole list as a partner who replayed its feed holds it.

A snapshot's version is the seq of its stream's last change; its entries are, for every entry
of the list, the body of its last change up to that seq unless that change is a DEL. So a
snapshot equals a replay of the feed by construction, and one version always renders to the
same bytes: the checksum (and so the signature) is computed in a first pass, or taken from
`feed_snapshot`, and the body is then streamed in chunks, never held whole in memory.

`refresh` is the scheduler's "feed snapshots" job: it precomputes the checksum of every list's
current masked renderings, so partners' downloads start at once.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from credit.changelog import repository as changelog
from credit.changelog.models import LIST_STREAMS, FeedStream
from credit.feeds import present, repository
from credit.feeds.formats import (
    RENDERING_REVISION,
    RENDERINGS,
    SnapshotFormat,
    raw_entry,
)
from credit.kernel.clock import utcnow
from credit.kernel.statements import SessionStatements
from credit.subjects import names
from credit.subjects.pii import PersonalIdentifiers

CHUNK = 1000


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    stream: FeedStream
    fmt: SnapshotFormat
    version: int
    sha256: str
    entries: int
    size_bytes: int
    with_pii: bool

    @property
    def etag(self) -> str:
        # A masked rendering is fixed by its version; a full one also by the identifiers read.
        base = masked_etag(self.stream, self.version, self.fmt)
        return f'{base[:-1]}-pii-{self.sha256[:16]}"' if self.with_pii else base

    @property
    def content_digest(self) -> str:
        return f"sha-256=:{base64.b64encode(bytes.fromhex(self.sha256)).decode()}:"


def masked_etag(stream: FeedStream, version: int, fmt: SnapshotFormat) -> str:
    """The ETag of a masked rendering, known from the version alone (no body computed)."""
    return f'"{stream}-{version}-{fmt}-r{RENDERING_REVISION}"'


def _rendering_key(fmt: SnapshotFormat) -> str:
    return f"{fmt}@{RENDERING_REVISION}"


async def version_of(session: AsyncSession, stream: FeedStream) -> int:
    return await changelog.stream_version(session, str(stream))


@dataclass(slots=True)
class Tally:
    entries: int = 0


async def render(
    session: AsyncSession,
    stream: FeedStream,
    fmt: SnapshotFormat,
    version: int,
    pii: PersonalIdentifiers | None = None,
    tally: Tally | None = None,
) -> AsyncIterator[bytes]:
    """The snapshot's bytes, one chunk of entries at a time, in entry id order."""
    rendering = RENDERINGS[fmt]
    yield rendering.header(str(stream), version)
    after, count = 0, 0
    while True:
        rows = await changelog.latest_changes(
            session, str(stream), version, after_entity=after, limit=CHUNK
        )
        if not rows:
            break
        after = int(rows[-1][0])
        live = [text for _, op, text in rows if op != "DEL"]
        if pii is None and not rendering.decodes:
            pieces = [raw_entry(fmt, text, count + i == 0) for i, text in enumerate(live)]
        else:
            bodies: list[dict[str, Any]] = [orjson.loads(text) for text in live]
            if pii is not None:
                plain = await present.resident_ids(
                    SessionStatements(session), pii, present.persons_in(bodies)
                )
                bodies = [present.with_identifiers(body, plain) for body in bodies]
            pieces = [rendering.entry(body, count + i == 0) for i, body in enumerate(bodies)]
        count += len(live)
        yield b"".join(pieces)
        if len(rows) < CHUNK:
            break
    if tally is not None:
        tally.entries = count
    yield rendering.footer(count)


async def _measure(
    session: AsyncSession,
    stream: FeedStream,
    fmt: SnapshotFormat,
    version: int,
    pii: PersonalIdentifiers | None,
) -> SnapshotInfo:
    digest, size, tally = hashlib.sha256(), 0, Tally()
    async for chunk in render(session, stream, fmt, version, pii, tally):
        digest.update(chunk)
        size += len(chunk)
    return SnapshotInfo(
        stream, fmt, version, digest.hexdigest(), tally.entries, size, pii is not None
    )


async def describe(
    session: AsyncSession,
    stream: FeedStream,
    fmt: SnapshotFormat,
    *,
    pii: PersonalIdentifiers | None = None,
    version: int | None = None,
    store: AsyncSession | None = None,
) -> SnapshotInfo:
    """Version, checksum, size and entry count of the current snapshot in `fmt`.

    A masked rendering's checksum is stored per version; a rendering with full identifiers is
    measured on every request (identifiers are not in the change log and may be corrected).
    `store` is where a new checksum is written when `session` only reads (a read replica).
    """
    version = await version_of(session, stream) if version is None else version
    if pii is not None:
        return await _measure(session, stream, fmt, version, pii)
    stored = await repository.stored_snapshot(session, str(stream), _rendering_key(fmt))
    if stored is not None and stored.version == version:
        return SnapshotInfo(
            stream, fmt, version, stored.sha256, stored.entries, stored.size_bytes, False
        )
    info = await _measure(session, stream, fmt, version, None)
    await repository.store_snapshot(
        store or session,
        {
            "stream": str(stream),
            "rendering": _rendering_key(fmt),
            "version": version,
            "sha256": info.sha256,
            "entries": info.entries,
            "size_bytes": info.size_bytes,
            "computed_at": utcnow(),
        },
    )
    return info


async def refresh(session: AsyncSession) -> int:
    """Precompute every list's current snapshot checksums; how many renderings were stale.

    Idempotent: a second run, or a run with nothing changed, computes nothing and returns 0.
    It also indexes the names of subjects registered before names were indexed, so matching
    finds them (`credit.subjects.names.index_missing`).
    """
    await names.index_missing(session)
    refreshed = 0
    for stream in LIST_STREAMS:
        version = await version_of(session, stream)
        for fmt in SnapshotFormat:
            stored = await repository.stored_snapshot(session, str(stream), _rendering_key(fmt))
            if stored is not None and stored.version == version:
                continue
            await describe(session, stream, fmt, version=version)
            refreshed += 1
    return refreshed
