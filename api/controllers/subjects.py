"""Credit subjects: registration, search, reading, changes and practice sites."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from pydantic import BaseModel

from api.deps import CurrentActor, DbSession, Pii
from api.guards import officers, people, regulators
from credit.subjects import practice, service
from credit.subjects.access import public_view, readable_subject
from credit.subjects.models import (
    PracticeSiteCreate,
    PracticeSiteEnd,
    PracticeSitePublic,
    SubjectCreate,
    SubjectPublic,
    SubjectUpdate,
)
from credit.subjects.search import search

Text = Annotated[str | None, Parameter(max_length=200)]


class SubjectPage(BaseModel):
    items: list[SubjectPublic]
    next_cursor: str | None


class PracticeSitePage(BaseModel):
    items: list[PracticeSitePublic]
    next_cursor: str | None


class SubjectController(Controller):
    path = "/subjects"
    tags = ["subjects"]

    @post("/", guards=[officers])
    async def register_subject(
        self, data: JSONBody[SubjectCreate], db_session: DbSession, actor: CurrentActor, pii: Pii
    ) -> SubjectPublic:
        """Register a subject; a duplicate identifier answers 409 with `existing_id`."""
        subject = await service.register(db_session, actor, data, pii=pii)
        return public_view(subject, actor, pii)

    @get("/", guards=[regulators])
    async def search_subjects(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
        name: Text = None,
        identifier: Text = None,
        kind: Text = None,
        region: Text = None,
        cursor: Text = None,
        limit: FromQuery[int] = 50,
    ) -> SubjectPage:
        """Subjects by name fragment, exact identifier, kind and region prefix, in id order."""
        page = await search(
            db_session,
            pii,
            name=name,
            identifier=identifier,
            kind=kind,
            region=region,
            cursor=cursor,
            limit=limit,
        )
        items = [public_view(subject, actor, pii) for subject in page.items]
        return SubjectPage(items=items, next_cursor=page.next_cursor)

    @get("/{subject_id:int}", guards=[people])
    async def read_subject(
        self, subject_id: FromPath[int], db_session: DbSession, actor: CurrentActor, pii: Pii
    ) -> SubjectPublic:
        """One subject, if the caller may see it; otherwise 404 as if it did not exist."""
        subject = await readable_subject(db_session, actor, subject_id)
        return public_view(subject, actor, pii)

    @patch("/{subject_id:int}", guards=[officers])
    async def update_subject(
        self,
        subject_id: FromPath[int],
        data: JSONBody[SubjectUpdate],
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
    ) -> SubjectPublic:
        """Change fields; identifiers are validated as on registration."""
        subject = await service.update(db_session, actor, subject_id, data, pii=pii)
        return public_view(subject, actor, pii)

    @post("/{subject_id:int}/practice-sites", guards=[officers])
    async def add_practice_site(
        self,
        subject_id: FromPath[int],
        data: JSONBody[PracticeSiteCreate],
        db_session: DbSession,
        actor: CurrentActor,
    ) -> PracticeSitePublic:
        """A person starts practising at an institution (either may be the path subject)."""
        row = await practice.add_practice_site(db_session, actor, subject_id, data)
        return practice.public_site(row)

    @get("/{subject_id:int}/practice-sites", guards=[people])
    async def list_practice_sites(
        self,
        subject_id: FromPath[int],
        db_session: DbSession,
        actor: CurrentActor,
        cursor: Text = None,
        limit: FromQuery[int] = 50,
    ) -> PracticeSitePage:
        """A person's practice sites, or an institution's staff, past and present."""
        page = await practice.practice_sites(
            db_session, actor, subject_id, cursor=cursor, limit=limit
        )
        items = [practice.public_site(row) for row in page.items]
        return PracticeSitePage(items=items, next_cursor=page.next_cursor)

    @post("/{subject_id:int}/practice-sites/{site_id:int}/end", guards=[officers], status_code=200)
    async def end_practice_site(
        self,
        subject_id: FromPath[int],
        site_id: FromPath[int],
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[PracticeSiteEnd | None] = None,
    ) -> PracticeSitePublic:
        """End a practice site on `ended_on` (today when not given), its last day."""
        ended_on = data.ended_on if data else None
        row = await practice.end_practice_site(db_session, actor, subject_id, site_id, ended_on)
        return practice.public_site(row)
