"""Policy packs: regulators read them; admins draft, submit, approve (four-eyes) and withdraw."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentActor, DbSession
from api.guards import admins, regulators
from credit.kernel.db import ID_MAX
from credit.kernel.errors import InvalidInput
from credit.kernel.pagination import check_limit, decode_cursor, encode_cursor
from credit.policy import regime, service
from credit.policy.document import PACK_CODE_PATTERN, document_dict
from credit.policy.fields import LongText
from credit.policy.models import (
    PackEventPublic,
    PackStatus,
    PackVersion,
    PackVersionPublic,
    PackVersionSummary,
)

PackId = Annotated[int, Parameter(ge=1, le=ID_MAX)]
PackCode = Annotated[str | None, Parameter(pattern=PACK_CODE_PATTERN)]


class PackCreate(BaseModel):
    """A new draft from a document, or from a copy of another version (`copy_from`)."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=500)
    effective_from: date
    document: dict[str, Any] | None = None
    copy_from: int | None = Field(default=None, ge=1, le=ID_MAX)

    @model_validator(mode="after")
    def _one_source(self) -> PackCreate:
        if (self.document is None) == (self.copy_from is None):
            raise ValueError("give exactly one of document or copy_from")
        return self


class PackUpdate(BaseModel):
    """A change to a draft; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=500)
    effective_from: date | None = None
    document: dict[str, Any] | None = None


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LongText | None = None


class PackPage(BaseModel):
    items: list[PackVersionSummary]
    next_cursor: str | None


def _summary(version: PackVersion) -> PackVersionSummary:
    return PackVersionSummary.model_validate(version, from_attributes=True)


async def _detail(session: AsyncSession, version: PackVersion) -> PackVersionPublic:
    assert version.id is not None
    events = await service.events(session, version.id)
    return PackVersionPublic(
        **_summary(version).model_dump(),
        document=document_dict(version.document),
        events=[PackEventPublic.model_validate(event, from_attributes=True) for event in events],
    )


def _reason(data: TransitionRequest | None) -> str | None:
    return data.reason if data else None


class PolicyPackController(Controller):
    path = "/policy-packs"
    tags = ["policy-packs"]
    guards = [regulators]

    @get("/")
    async def list_policy_packs(
        self,
        db_session: DbSession,
        status: FromQuery[PackStatus | None] = None,
        code: PackCode = None,
        cursor: Annotated[str | None, Parameter(max_length=100)] = None,
        limit: FromQuery[int] = 100,
    ) -> PackPage:
        """Pack versions in creation order, optionally of one status or code."""
        rows = await regime.versions(
            db_session,
            after_id=decode_cursor(cursor),
            limit=check_limit(limit),
            status=status,
            code=code,
        )
        last_id = rows[-1].id if rows else None
        return PackPage(
            items=[_summary(row) for row in rows],
            next_cursor=encode_cursor(last_id) if last_id and len(rows) == limit else None,
        )

    @get("/{pack_id:int}")
    async def read_policy_pack(self, pack_id: PackId, db_session: DbSession) -> PackVersionPublic:
        """One version with its document and its workflow events."""
        return await _detail(db_session, await service.get_version(db_session, pack_id))

    @post("/", guards=[admins])
    async def create_policy_pack(
        self, data: JSONBody[PackCreate], db_session: DbSession, actor: CurrentActor
    ) -> PackVersionPublic:
        """Create a draft; a bad document answers 422 listing each path and rule broken."""
        if data.copy_from is not None:
            version = await service.copy_version(
                db_session,
                actor,
                data.copy_from,
                effective_from=data.effective_from,
                code=data.code,
                title=data.title,
            )
        else:
            for name in ("code", "title"):
                if getattr(data, name) is None:
                    raise InvalidInput(f"{name} is required", field=name, rule="required")
            version = await service.create_draft(
                db_session,
                actor,
                code=data.code or "",
                title=data.title or "",
                effective_from=data.effective_from,
                document=data.document,
            )
        return await _detail(db_session, version)

    @patch("/{pack_id:int}", guards=[admins])
    async def update_policy_pack(
        self,
        pack_id: PackId,
        data: JSONBody[PackUpdate],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> PackVersionPublic:
        """Change a draft (re-validated); a version past draft answers 409."""
        version = await service.update_draft(
            db_session,
            actor,
            pack_id,
            title=data.title,
            effective_from=data.effective_from,
            document=data.document,
        )
        return await _detail(db_session, version)

    @post("/{pack_id:int}/submit", guards=[admins], status_code=200)
    async def submit_policy_pack(
        self,
        pack_id: PackId,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> PackVersionPublic:
        """Put a draft forward for approval by a different admin."""
        version = await service.submit(db_session, actor, pack_id, reason=_reason(data))
        return await _detail(db_session, version)

    @post("/{pack_id:int}/approve", guards=[admins], status_code=200)
    async def approve_policy_pack(
        self,
        pack_id: PackId,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> PackVersionPublic:
        """Activate a submitted version; its author or submitter is refused (403 four_eyes)."""
        version = await service.approve(db_session, actor, pack_id, reason=_reason(data))
        return await _detail(db_session, version)

    @post("/{pack_id:int}/withdraw", guards=[admins], status_code=200)
    async def withdraw_policy_pack(
        self,
        pack_id: PackId,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> PackVersionPublic:
        """Abandon a draft or a submitted version."""
        version = await service.withdraw(db_session, actor, pack_id, reason=_reason(data))
        return await _detail(db_session, version)
