"""Change credit records: submit one, correct, revoke, repair, objection flags, expire.

Each change is a new revision through `workflow.transition`; nothing is edited in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel import signals
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.records import repository, workflow
from credit.records.ingest import CONFLICT_RULE, Ingestion
from credit.records.models import RecordRevision, RecordStatus
from credit.records.schemas import ReasonInput, RecordCorrection, RecordFields
from credit.records.shape import (
    RowFailure,
    RowRejected,
    failures_of,
    normalised_payload,
    parse_row,
)
from credit.records.validation import FactsChecker

API_SOURCE = "the API"


@dataclass(frozen=True, slots=True)
class Submission:
    record_id: int
    created: bool


async def submit(session: AsyncSession, actor: Actor, payload: Mapping[str, Any]) -> Submission:
    """Store one record; the same payload again is `created=False`.

    RowRejected (422) lists every broken rule; a different payload under a stored source
    reference is a Conflict (409) naming `source_ref` and the existing record.
    """
    ingestion = Ingestion(session, actor, mode="partial", source_label=API_SOURCE)
    await ingestion.process([(1, payload)])
    report = ingestion.report
    row, _ = parse_row(payload)
    if report.errors:
        conflict = next((error for error in report.errors if error.rule == CONFLICT_RULE), None)
        if conflict is not None and row is not None:
            existing = await repository.record_by_ref(session, row.source_system, row.source_ref)
            raise Conflict(
                conflict.message,
                field="source_ref",
                rule=CONFLICT_RULE,
                extra={"existing_id": existing.id if existing else None},
            )
        raise RowRejected([RowFailure(e.field, e.rule, e.message) for e in report.errors])
    assert row is not None
    record = await repository.record_by_ref(session, row.source_system, row.source_ref)
    assert record is not None
    assert record.id is not None
    if report.created:
        await audit.record(
            session, actor, "record.create", "credit_record", record.id, normalised_payload(row)
        )
        await signals.subjects_changed(session, {record.subject_id}, signals.RECORD_CREATED)
    return Submission(record_id=record.id, created=bool(report.created))


def _reason(reason: str | None) -> str:
    """The reason kept with a revision: required, at most 2,000 characters, printable."""
    if reason is None or not reason.strip():
        raise InvalidInput("a reason is required", field="reason", rule="required")
    try:
        return ReasonInput(reason=reason).reason
    except ValidationError as error:
        raise RowRejected(failures_of(error)) from None


async def _current(session: AsyncSession, record_id: int) -> RecordRevision:
    current = await repository.current_revision(session, record_id, for_update=True)
    if current is None:
        raise NotFound(f"record {record_id} does not exist", field="record_id", rule="exists")
    return current


def _merged(current: RecordRevision, given: Mapping[str, Any]) -> RecordFields:
    """The facts after the correction, in the shape a submission has."""
    fields: dict[str, Any] = {
        name: getattr(current, name)
        for name in (
            "item_code",
            "severity",
            "occurred_on",
            "decided_on",
            "document_no",
            "amount_involved",
            "fine_amount",
            "rule_code",
            "responsible",
        )
    }
    if "item_code" in given and "severity" not in given and given["item_code"] != current.item_code:
        fields["severity"] = None  # another item brings its own default tier
    fields.update(given)
    try:
        return RecordFields.model_validate(fields)
    except ValidationError as error:
        raise RowRejected(failures_of(error)) from None


async def correct(
    session: AsyncSession,
    actor: Actor,
    record_id: int,
    changes: Mapping[str, Any],
    reason: str | None,
) -> RecordRevision:
    """Correct facts of a record: a new revision `corrected`, checked as a submission is.

    `changes` holds only the fields that change (None clears an optional one). A correction of
    a record under objection is the objection's outcome (partly upheld) and ends it.
    """
    try:
        correction = RecordCorrection.model_validate({**changes, "reason": _reason(reason)})
    except ValidationError as error:
        raise RowRejected(failures_of(error)) from None
    given = correction.model_dump(exclude_unset=True, exclude={"reason"})
    current = await _current(session, record_id)
    fields = _merged(current, given)
    checker = FactsChecker(session, today=business_today())
    (outcome,) = await checker.check([(current.subject_id, fields)])
    if outcome.facts is None:
        raise RowRejected(outcome.failures)
    changed = {
        name: value for name, value in outcome.facts.items() if getattr(current, name) != value
    }
    if not changed:
        raise InvalidInput(
            "the correction changes nothing; send only the fields that differ",
            field="changes",
            rule="no_change",
        )
    revision = await workflow.transition(
        session,
        actor,
        record_id,
        RecordStatus.CORRECTED,
        reason=correction.reason,
        facts=changed,
        action="record.correct",
    )
    await signals.subjects_changed(session, {revision.subject_id}, "record_corrected")
    return revision


async def revoke(
    session: AsyncSession, actor: Actor, record_id: int, reason: str | None
) -> RecordRevision:
    """Revoke a record (objection upheld, decision overturned); it stays in history only."""
    revision = await workflow.transition(
        session,
        actor,
        record_id,
        RecordStatus.REVOKED,
        reason=_reason(reason),
        action="record.revoke",
    )
    await signals.subjects_changed(session, {revision.subject_id}, "record_revoked")
    return revision


async def mark_repaired(
    session: AsyncSession,
    actor: Actor,
    record_id: int,
    reason: str | None,
    *,
    counts_until: date | None = None,
) -> RecordRevision:
    """Credit repair approved: publication of the record stops.

    `counts_until` keeps the record in the score of cycles starting on or before that date
    (the policy's next-cycle effect); None takes it out of every score at once.
    """
    revision = await workflow.transition(
        session,
        actor,
        record_id,
        RecordStatus.REPAIRED,
        reason=_reason(reason),
        facts={"repair_counts_until": counts_until},
        action="record.repair",
    )
    await signals.subjects_changed(session, {revision.subject_id}, "record_repaired")
    return revision


async def set_under_objection(
    session: AsyncSession, actor: Actor, record_id: int, reason: str | None
) -> RecordRevision:
    """An objection against the record is under review: flag it 异议中."""
    revision = await workflow.transition(
        session,
        actor,
        record_id,
        RecordStatus.UNDER_OBJECTION,
        reason=_reason(reason),
        action="record.objection",
    )
    await signals.subjects_changed(session, {revision.subject_id}, "objection_set")
    return revision


async def clear_objection(
    session: AsyncSession, actor: Actor, record_id: int, reason: str | None
) -> RecordRevision:
    """The objection was dismissed (or withdrawn): the record returns to its earlier status."""
    current = await _current(session, record_id)
    if current.status != RecordStatus.UNDER_OBJECTION:
        raise Conflict(
            f"record {record_id} is {current.status}, not under objection",
            field="status",
            rule="transition",
            extra={"current_status": current.status},
        )
    earlier = await repository.revision_number(session, record_id, current.revision - 1)
    restored = RecordStatus(earlier.status) if earlier else RecordStatus.ACTIVE
    revision = await workflow.transition(
        session,
        actor,
        record_id,
        restored,
        reason=_reason(reason),
        action="record.objection_cleared",
    )
    await signals.subjects_changed(session, {revision.subject_id}, "objection_cleared")
    return revision


async def expire(
    session: AsyncSession, actor: Actor, record_id: int, reason: str | None
) -> RecordRevision:
    """End publication of one record now (the sweep does this for all that are due)."""
    revision = await workflow.transition(
        session,
        actor,
        record_id,
        RecordStatus.EXPIRED,
        reason=_reason(reason),
        action="record.expire",
    )
    await signals.subjects_changed(session, {revision.subject_id}, "record_expired")
    return revision
