"""The three lists: officers propose and serve notices, reviewers decide, publish and remove;
a subject reads its own entries, their notice, and submits its statement and defence."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from litestar import Controller, MediaType, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentActor, DbSession, EntityId
from api.guards import officers, people, regulators, requires_role
from credit.kernel.actor import Actor, Role
from credit.lists import defence, notice, repository, service, steps
from credit.lists.models import EntryStatus, ListEntry
from credit.lists.repository import EntryFilter
from credit.lists.schemas import (
    AmendInput,
    AttachmentPublic,
    DefenceInput,
    DefencePublic,
    ListEntryCreate,
    ListEntryDetail,
    ListEntryEventPublic,
    ListEntryPage,
    ListEntryPublic,
    TransitionInput,
)
from credit.policy.vocabulary import ListName

Cursor = Annotated[str | None, Parameter(max_length=200)]
reviewers = requires_role(Role.ADMIN, Role.REVIEWER)
defenders = requires_role(Role.ADMIN, Role.OFFICER, Role.SUBJECT)
ENTRY = "/{list_name:str}/entries/{entry_id:int}"


async def _public(session: AsyncSession, entry: ListEntry) -> ListEntryPublic:
    subject = (await service.subjects_of(session, [entry]))[entry.subject_id]
    return ListEntryPublic.of(entry, subject.name, subject.kind)


async def _detail(session: AsyncSession, entry: ListEntry) -> ListEntryDetail:
    assert entry.id is not None
    public = await _public(session, entry)
    events = await repository.events_of(session, entry.id)
    attachments = await repository.attachments_of(session, entry.id)
    defences = [
        DefencePublic(
            id=stored.id or 0,
            statement=stored.statement,
            submitted_by=stored.submitted_by,
            submitted_at=stored.submitted_at,
            attachments=[
                AttachmentPublic(
                    id=item.id,
                    file_name=item.file_name,
                    media_type=item.media_type,
                    size=item.size,
                    sha256=item.sha256,
                )
                for item in attachments
                if item.defence_id == stored.id
            ],
        )
        for stored in await repository.defences_of(session, entry.id)
    ]
    return ListEntryDetail(
        **public.model_dump(),
        events=[ListEntryEventPublic.model_validate(event.model_dump()) for event in events],
        defences=defences,
    )


async def _answer(session: AsyncSession, actor: Actor, entry: ListEntry) -> ListEntryDetail:
    service.ensure_can_read(actor, entry)
    return await _detail(session, entry)


class ListController(Controller):
    path = "/lists"
    tags = ["lists"]

    @get("/{list_name:str}/entries", guards=[people])
    async def list_entries(
        self,
        list_name: FromPath[ListName],
        db_session: DbSession,
        actor: CurrentActor,
        status: FromQuery[EntryStatus | None] = None,
        subject_id: FromQuery[int | None] = None,
        criterion_code: FromQuery[str | None] = None,
        automatic: FromQuery[bool | None] = None,
        cursor: Cursor = None,
        limit: FromQuery[int] = 50,
    ) -> ListEntryPage:
        """A list's entries in id order; a subject account sees only its own."""
        filters = EntryFilter(
            status=status,
            subject_id=subject_id,
            criterion_code=criterion_code,
            automatic=automatic,
        )
        page = await service.entries(
            db_session, actor, list_name, filters, cursor=cursor, limit=limit
        )
        subjects = await service.subjects_of(db_session, page.items)
        items = [
            ListEntryPublic.of(
                entry, subjects[entry.subject_id].name, subjects[entry.subject_id].kind
            )
            for entry in page.items
        ]
        return ListEntryPage(items=items, next_cursor=page.next_cursor)

    @post("/{list_name:str}/entries", guards=[officers])
    async def propose_entry(
        self,
        list_name: FromPath[ListName],
        data: JSONBody[ListEntryCreate],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> ListEntryDetail:
        """Propose an entry under one of the list's criteria; one open entry per subject."""
        entry = await service.propose(db_session, actor, list_name, data)
        return await _detail(db_session, entry)

    @get(ENTRY, guards=[people])
    async def read_entry(
        self,
        list_name: FromPath[ListName],
        entry_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
    ) -> ListEntryDetail:
        """An entry with every event of its procedure and the subject's defences."""
        entry = await service.readable_entry(db_session, actor, list_name, entry_id)
        return await _detail(db_session, entry)

    @patch(ENTRY, guards=[reviewers])
    async def amend_entry(
        self,
        list_name: FromPath[ListName],
        entry_id: EntityId,
        data: JSONBody[AmendInput],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> ListEntryDetail:
        """Amend an entry in force (reasons, basis, end date); partners receive the change."""
        entry = await steps.amend(db_session, actor, list_name, entry_id, data)
        return await _answer(db_session, actor, entry)

    @post(f"{ENTRY}/transitions", guards=[regulators], status_code=200)
    async def move_entry(
        self,
        list_name: FromPath[ListName],
        entry_id: EntityId,
        data: JSONBody[TransitionInput],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> ListEntryDetail:
        """One step of the procedure (`to`: notified, decided, approved, publicity, published,
        listed, removed, dropped); 409 when the list's procedure does not allow it, 403 for a
        decision by the proposer."""
        entry = await steps.move(db_session, actor, list_name, entry_id, data)
        return await _answer(db_session, actor, entry)

    @post(f"{ENTRY}/defence", guards=[defenders])
    async def submit_defence(
        self,
        list_name: FromPath[ListName],
        entry_id: EntityId,
        data: JSONBody[DefenceInput],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> ListEntryDetail:
        """The subject's statement and defence (陈述申辩), attachments as base64; 409 after the
        notice deadline."""
        await defence.submit_defence(db_session, actor, list_name, entry_id, data)
        entry = await service.get_entry(db_session, list_name, entry_id)
        return await _detail(db_session, entry)

    @get(f"{ENTRY}/notice", guards=[people], media_type=MediaType.HTML)
    async def entry_notice(
        self,
        list_name: FromPath[ListName],
        entry_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
    ) -> str:
        """The notice (告知书) served on the subject, as a printable HTML document."""
        entry = await service.readable_entry(db_session, actor, list_name, entry_id)
        return await notice.render_notice(db_session, entry)

    @get(f"{ENTRY}/attachments/{{attachment_id:int}}", guards=[people])
    async def entry_attachment(
        self,
        list_name: FromPath[ListName],
        entry_id: EntityId,
        attachment_id: EntityId,
        db_session: DbSession,
        actor: CurrentActor,
    ) -> Response[bytes]:
        """A file attached to a defence, as it was sent."""
        found = await defence.attachment_of(db_session, actor, list_name, entry_id, attachment_id)
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="attachment-{found.id}"; '
                f"filename*=UTF-8''{quote(found.file_name)}"
            },
        )
