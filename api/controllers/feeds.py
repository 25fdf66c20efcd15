"""The partner feeds (DESIGN 9): signed change pages per list and for the agency's measures,
and signed, streamed list snapshots with ETag / If-None-Match."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter
from litestar.response import Stream
from pydantic import BaseModel, ConfigDict, Field

from api.calls import answered
from api.db import Database
from api.deps import CurrentActor, DbSession, Pii, ReadSession
from api.guards import requires_scope
from api.partners import partner_of, scope_guard
from api.signing import JSON, signer_of
from credit.accounts.api_keys import partner_agency
from credit.changelog.models import LIST_STREAMS, FeedStream
from credit.feeds import changes, snapshots
from credit.feeds.formats import FILE_SUFFIX, MEDIA_TYPES, SnapshotFormat, parse_format
from credit.kernel.actor import Actor, Role
from credit.kernel.errors import Forbidden, NotFound
from credit.subjects.pii import PersonalIdentifiers

Since = Annotated[str | None, Parameter(max_length=40, description="the next_cursor you hold")]
Limit = Annotated[int, Parameter(ge=1, le=changes.MAX_LIMIT)]
Format = Annotated[
    str | None,
    Parameter(query="format", max_length=20, description="json (default), ndjson, csv or ftm"),
]


class Change(BaseModel):
    seq: int
    op: str
    entry: dict[str, Any]
    at: str


class ChangesPage(BaseModel):
    changes: list[Change]
    next_cursor: str
    has_more: bool


class SnapshotJson(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    list_name: str = Field(alias="list")
    version: str
    entries: list[dict[str, Any]]
    count: int


SIGNED_CHANGES = ResponseSpec(ChangesPage, description="signed (Content-Digest, Signature)")
SIGNED_SNAPSHOT = ResponseSpec(
    SnapshotJson, description="the list (format=json shown); signed, with ETag and version"
)


def _list_stream(list_name: str) -> FeedStream:
    try:
        stream = FeedStream(list_name)
    except ValueError:
        stream = None
    if stream not in LIST_STREAMS:
        feeds = ", ".join([*LIST_STREAMS, FeedStream.MEASURES])
        raise NotFound(
            f"there is no list feed {list_name[:40]!r}; feeds: {feeds}"
            + (" (measures has changes only, no snapshot)" if stream else ""),
            field="list",
            rule="known_list",
        )
    assert stream is not None
    return stream


async def list_scope(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A key reads a list's feed with the scope `feed:<list>`; an unknown list is left to the
    handler's 404, which names the feeds there are (async: see `scope_guard`)."""
    name = str(connection.path_params.get("list_name", ""))
    if name in {str(stream) for stream in LIST_STREAMS}:
        requires_scope(f"feed:{name}")(connection, _)
    elif connection.scope.get("method") != "OPTIONS":
        actor = connection.scope.get("user")
        if not isinstance(actor, Actor) or not (actor.is_regulator or actor.role is Role.PARTNER):
            raise PermissionDeniedException("the feeds are read with an API key")


def _reader_pii(actor: Actor, pii: PersonalIdentifiers) -> PersonalIdentifiers | None:
    return pii if actor.sees_personal_identifiers else None


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


class FeedController(Controller):
    path = "/feeds"
    tags = ["feeds"]

    @get("/measures/changes", guards=[scope_guard("feed:measures")],
         responses={200: SIGNED_CHANGES})  # fmt: skip
    async def measure_changes(
        self,
        request: Request[Any, Any, Any],
        since: Since = None,
        limit: Limit = changes.DEFAULT_LIMIT,
    ) -> Response[bytes]:
        """The calling agency's measure assignments as they changed, in seq order."""
        partner, actor = partner_of(request), request.user
        async with partner.reads() as statements:
            agency = None
            if not actor.is_regulator:
                agency = await partner_agency(statements, actor)
                if agency is None:
                    raise Forbidden(
                        "this API key names no implementing agency (agency_code), so it has "
                        "no measure assignments to read",
                        field="agency_code",
                        rule="required",
                    )
            page = await changes.read(
                statements,
                FeedStream.MEASURES,
                since,
                limit,
                agency=agency,
                pii=_reader_pii(actor, partner.pii),
            )
        answered(request, page.count)
        return await partner.signer.response(page.content, JSON)

    @get("/{list_name:str}/changes", guards=[list_scope], responses={200: SIGNED_CHANGES})
    async def list_changes(
        self,
        request: Request[Any, Any, Any],
        list_name: FromPath[str],
        since: Since = None,
        limit: Limit = changes.DEFAULT_LIMIT,
    ) -> Response[bytes]:
        """The list's changes after `since` (ADD, MOD, DEL with its reason), in seq order."""
        stream = _list_stream(list_name)
        partner = partner_of(request)
        async with partner.reads() as statements:
            page = await changes.read(
                statements, stream, since, limit, pii=_reader_pii(request.user, partner.pii)
            )
        answered(request, page.count)
        return await partner.signer.response(page.content, JSON)

    @get("/{list_name:str}/snapshot", guards=[list_scope], responses={200: SIGNED_SNAPSHOT})
    async def list_snapshot(
        self,
        request: Request[Any, Any, Any],
        list_name: FromPath[str],
        db_session: DbSession,
        read_session: ReadSession,
        actor: CurrentActor,
        pii: Pii,
        fmt: Format = None,
    ) -> Response[Any]:
        """The whole list in force, streamed; `ETag` and `If-None-Match` spare a download."""
        stream = _list_stream(list_name)
        snapshot_format = parse_format(fmt)
        reader_pii = _reader_pii(actor, pii)
        asked = request.headers.get("if-none-match")
        # The signing key before this transaction writes: made on a first use, in a transaction
        # of its own that SQLite's single writer lock would keep waiting behind this one.
        signer = signer_of(request)
        await signer.key()
        version = await snapshots.version_of(read_session, stream)
        if reader_pii is None:
            etag = snapshots.masked_etag(stream, version, snapshot_format)
            if _matches(asked, etag):
                answered(request, 0)
                return Response(b"", status_code=304, headers={"ETag": etag})
        info = await snapshots.describe(
            read_session,
            stream,
            snapshot_format,
            pii=reader_pii,
            version=version,
            store=db_session,
        )
        if _matches(asked, info.etag):
            answered(request, 0)
            return Response(b"", status_code=304, headers={"ETag": info.etag})
        media_type = MEDIA_TYPES[snapshot_format]
        headers = {
            "ETag": info.etag,
            "Cache-Control": "no-cache",
            "X-Snapshot-Version": str(info.version),
            "X-Snapshot-Checksum": f"sha-256={info.sha256}",
            "X-Snapshot-Entries": str(info.entries),
            "Content-Disposition": (
                f'attachment; filename="medcredit-{stream}-{info.version}.'
                f'{FILE_SUFFIX[snapshot_format]}"'
            ),
            **await signer.headers_for(media_type, info.content_digest),
        }
        answered(request, info.entries)
        database: Database = request.app.state.database
        body = _streamed(database, info, reader_pii)
        # Litestar adds `; charset=utf-8` to text types itself; the signature covers the header
        # as it is sent.
        return Stream(body, media_type=media_type.split(";")[0], headers=headers)


async def _streamed(
    database: Database, info: snapshots.SnapshotInfo, pii: PersonalIdentifiers | None
) -> AsyncIterator[bytes]:
    """The body, read in its own session (on the replica, if set) after the handler's ended."""
    async with database.reading() as session:
        async for chunk in snapshots.render(session, info.stream, info.fmt, info.version, pii):
            yield chunk


__all__ = ["FeedController", "SnapshotFormat"]
