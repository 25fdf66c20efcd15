"""Credit records: submit one, read it (as of any moment), its history, corrections, revocations,
and a subject's credit file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Body, FromPath, FromQuery, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentActor, DbSession, Pii
from api.errors import problem
from api.guards import officers, people, regulators
from credit.kernel.actor import Actor
from credit.policy.vocabulary import Category, Severity
from credit.records import history, service, views
from credit.records.history import RecordState
from credit.records.models import RecordStatus
from credit.records.repository import RecordFilter
from credit.records.schemas import (
    RecordHistory,
    RecordPage,
    RecordPublic,
    RecordSubmitted,
)
from credit.records.shape import RowRejected
from credit.subjects.pii import PersonalIdentifiers

AsOf = Annotated[
    datetime | None,
    Parameter(
        description="read what was known at this moment (ISO 8601; without an offset it is "
        "Asia/Shanghai time)"
    ),
]
Cursor = Annotated[str | None, Parameter(max_length=200)]
RECORD_BODY = Body(
    title="A credit record",
    description="subject_id, item_code, decided_on, source_system and source_ref are required; "
    "occurred_on, document_no, amount_involved, fine_amount (yuan, at most 2 decimals), "
    "rule_code, severity and responsible ([{subject_id, tier}], tier general/important/"
    "principal) are optional.",
)
CORRECTION_BODY = Body(
    title="A correction",
    description="reason (required) and the fields that change: item_code, severity, "
    "occurred_on, decided_on, document_no, amount_involved, fine_amount, rule_code, "
    "responsible; null clears an optional field.",
)


def rejected_handler(_: Request[Any, Any, Any], exc: RowRejected) -> Response[Any]:
    """422 listing every broken rule of the record, not just the first."""
    errors = [
        {"field": failure.field, "rule": failure.rule, "message": failure.message}
        for failure in exc.failures
    ]
    return problem(422, exc.title, exc.message, errors=errors, field=exc.field, rule=exc.rule)


async def _answer(
    session: AsyncSession,
    actor: Actor,
    pii: PersonalIdentifiers,
    state: RecordState,
    as_of: datetime | None = None,
) -> RecordPublic:
    today = history.business_day_of(as_of)
    (public,) = await views.public_records(session, actor, pii, [state], today=today)
    return public


class RecordController(Controller):
    path = "/"
    tags = ["records"]
    exception_handlers = {RowRejected: rejected_handler}

    @post(
        "/records",
        guards=[officers],
        responses={200: ResponseSpec(RecordSubmitted, description="The same record was stored")},
    )
    async def submit_record(
        self,
        data: Annotated[dict[str, Any], RECORD_BODY],
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
    ) -> Response[RecordSubmitted]:
        """Store a record: 201 when new, 200 with `unchanged` when the same one was stored;
        another payload under a stored source_ref is 409."""
        submission = await service.submit(db_session, actor, data)
        state = await history.get_record(db_session, submission.record_id)
        public = await _answer(db_session, actor, pii, state)
        body = RecordSubmitted(
            **public.model_dump(), created=submission.created, unchanged=not submission.created
        )
        return Response(body, status_code=201 if submission.created else 200)

    @get("/records/{record_id:int}", guards=[people])
    async def read_record(
        self,
        record_id: FromPath[int],
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
        as_of: AsOf = None,
    ) -> RecordPublic:
        """A record as it stands, or as it was known at `as_of`."""
        state = await history.readable_record(db_session, actor, record_id, as_of=as_of)
        return await _answer(db_session, actor, pii, state, as_of)

    @get("/records/{record_id:int}/history", guards=[people])
    async def record_history(
        self,
        record_id: FromPath[int],
        db_session: DbSession,
        actor: CurrentActor,
        as_of: AsOf = None,
    ) -> RecordHistory:
        """Every revision: status, what changed, who, when and why."""
        revisions = await history.history(db_session, actor, record_id, as_of=as_of)
        return RecordHistory(
            record_id=record_id,
            items=[views.public_revision(revision, actor) for revision in revisions],
        )

    @post("/records/{record_id:int}/corrections", guards=[regulators])
    async def correct_record(
        self,
        record_id: FromPath[int],
        data: Annotated[dict[str, Any], CORRECTION_BODY],
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
    ) -> RecordPublic:
        """Correct facts of a record; the earlier version stays readable in its history."""
        changes = dict(data)
        reason = changes.pop("reason", None)
        await service.correct(
            db_session, actor, record_id, changes, reason if isinstance(reason, str) else None
        )
        state = await history.get_record(db_session, record_id)
        return await _answer(db_session, actor, pii, state)

    @post("/records/{record_id:int}/revocations", guards=[regulators])
    async def revoke_record(
        self,
        record_id: FromPath[int],
        data: Annotated[dict[str, Any], Body(description="{reason}: why it is revoked")],
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
    ) -> RecordPublic:
        """Revoke a record (objection upheld, decision overturned)."""
        reason = data.get("reason")
        await service.revoke(
            db_session, actor, record_id, reason if isinstance(reason, str) else None
        )
        state = await history.get_record(db_session, record_id)
        return await _answer(db_session, actor, pii, state)

    @get("/subjects/{subject_id:int}/records", guards=[people])
    async def credit_file(
        self,
        subject_id: FromPath[int],
        db_session: DbSession,
        actor: CurrentActor,
        pii: Pii,
        category: FromQuery[Category | None] = None,
        severity: FromQuery[Severity | None] = None,
        status: FromQuery[RecordStatus | None] = None,
        decided_from: FromQuery[date | None] = None,
        decided_to: FromQuery[date | None] = None,
        as_of: AsOf = None,
        cursor: Cursor = None,
        limit: FromQuery[int] = 50,
    ) -> RecordPage:
        """A subject's credit file, newest record first; a subject account reads its own only."""
        filters = RecordFilter(
            category=category,
            severity=severity,
            status=status,
            decided_from=decided_from,
            decided_to=decided_to,
        )
        page = await history.credit_file(
            db_session, actor, subject_id, filters, as_of=as_of, cursor=cursor, limit=limit
        )
        today = history.business_day_of(as_of)
        items = await views.public_records(db_session, actor, pii, page.items, today=today)
        return RecordPage(items=items, next_cursor=page.next_cursor)
