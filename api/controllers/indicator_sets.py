"""Indicator sets: regulators read them; admins draft, edit drafts, activate and retire."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentActor, DbSession
from api.guards import admins, regulators
from credit.kernel.pagination import check_limit, decode_cursor, encode_cursor
from indicators import repository, sets
from indicators.models import IndicatorSet, SetStatus
from indicators.schemas import (
    ID_MAX,
    EventPublic,
    IndicatorSetCreate,
    IndicatorSetPage,
    IndicatorSetPublic,
    IndicatorSetSummary,
    IndicatorSetUpdate,
    TransitionRequest,
)

SetIdParam = Annotated[int, Parameter(ge=1, le=ID_MAX)]


async def _detail(session: AsyncSession, row: IndicatorSet) -> IndicatorSetPublic:
    events = await repository.set_events(session, row.id or 0)
    return IndicatorSetPublic(
        **IndicatorSetSummary.model_validate(row).model_dump(),
        document=row.document,
        events=[EventPublic.model_validate(event) for event in events],
    )


def _reason(data: TransitionRequest | None) -> str | None:
    return data.reason if data else None


class IndicatorSetController(Controller):
    path = "/indicator-sets"
    tags = ["indicator-sets"]
    guards = [regulators]

    @get("/")
    async def list_indicator_sets(
        self,
        db_session: DbSession,
        profile_code: Annotated[str | None, Parameter(max_length=64)] = None,
        subject_kind: Annotated[str | None, Parameter(max_length=40)] = None,
        status: FromQuery[SetStatus | None] = None,
        cursor: Annotated[str | None, Parameter(max_length=100)] = None,
        limit: FromQuery[int] = 100,
    ) -> IndicatorSetPage:
        """Set versions in creation order, optionally of one profile, kind or status."""
        rows = await repository.sets(
            db_session,
            profile_code=profile_code,
            kind=subject_kind,
            status=str(status) if status else None,
            after_id=decode_cursor(cursor),
            limit=check_limit(limit),
        )
        last = rows[-1].id if rows else None
        return IndicatorSetPage(
            items=[IndicatorSetSummary.model_validate(row) for row in rows],
            next_cursor=encode_cursor(last) if last and len(rows) == limit else None,
        )

    @get("/{set_id:int}")
    async def read_indicator_set(
        self, set_id: SetIdParam, db_session: DbSession
    ) -> IndicatorSetPublic:
        """One version with its document and its workflow events."""
        return await _detail(db_session, await sets.get_set(db_session, set_id))

    @post("/", guards=[admins])
    async def create_indicator_set(
        self, data: JSONBody[IndicatorSetCreate], db_session: DbSession, actor: CurrentActor
    ) -> IndicatorSetPublic:
        """A draft; a bad document answers 422 naming each indicator, path and rule."""
        row = await sets.create_draft(
            db_session,
            actor,
            profile_code=data.profile_code,
            subject_kind=data.subject_kind,
            title=data.title,
            document=data.document,
            copy_from=data.copy_from,
        )
        return await _detail(db_session, row)

    @patch("/{set_id:int}", guards=[admins])
    async def update_indicator_set(
        self,
        set_id: SetIdParam,
        data: JSONBody[IndicatorSetUpdate],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> IndicatorSetPublic:
        """Change a draft (re-validated); an active or retired version answers 409."""
        row = await sets.update_draft(
            db_session, actor, set_id, title=data.title, document=data.document
        )
        return await _detail(db_session, row)

    @post("/{set_id:int}/activate", guards=[admins], status_code=200)
    async def activate_indicator_set(
        self,
        set_id: SetIdParam,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> IndicatorSetPublic:
        """Activate a draft; the active version of the same profile and kind retires."""
        row = await sets.activate(db_session, actor, set_id, reason=_reason(data))
        return await _detail(db_session, row)

    @post("/{set_id:int}/retire", guards=[admins], status_code=200)
    async def retire_indicator_set(
        self,
        set_id: SetIdParam,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> IndicatorSetPublic:
        """Retire a draft or an active version."""
        row = await sets.retire(db_session, actor, set_id, reason=_reason(data))
        return await _detail(db_session, row)
