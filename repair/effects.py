"""What a decided objection or an approved repair does, inside the decision's transaction.

Objection upheld: the record is revoked (points: the person is taken off the record), the live
score follows (signals), the subject's affected published results are superseded by correction
runs, list entries grounded only on revoked records are removed with reason `revoked` (signals;
a disputed entry itself is removed or dropped), measures end with them and partners receive the
change log rows. Partly upheld: the record is corrected (or the entry amended) and the same
consequences follow. Dismissed: the 异议中 flag is cleared.

Repair approved: the record becomes `repaired` (its publication ends) or the entry is removed
with reason `repaired`; the score effect is the pack's: at once, or from the next cycle (the
record keeps counting in cycles that began on or before the approval day).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.errors import InvalidInput
from credit.lists import repository as lists
from credit.lists import steps
from credit.lists.models import CLOSED, EntryStatus, RemovalReason
from credit.lists.schemas import AmendInput, TransitionInput
from credit.lists.workflow import IN_FORCE
from credit.policy.remedies import ScoreEffect
from credit.policy.vocabulary import ListName
from credit.records import repository as records
from credit.records import service as record_service
from credit.records.models import RecordStatus
from indicators import runs, supersede
from repair import targets
from repair.models import Objection, ObjectionStatus, ObjectionTarget, Repair, RepairTarget
from repair.schemas import ObjectionTransition

S = ObjectionStatus


def _why(objection: Objection, step: ObjectionTransition) -> str:
    return f"objection {objection.id} {step.to}: {step.reason}"


async def _supersede(
    session: AsyncSession, actor: Actor, subject_id: int, reason: str, since: date | None
) -> None:
    await supersede.supersede_results(
        session, actor, subject_id, reason=reason, cycle_ending_from=since
    )


async def _end_entry(session: AsyncSession, actor: Actor, entry_id: int, reason: str) -> None:
    """Remove an entry in force with reason `revoked`; drop one still in its publicity."""
    entry = await lists.get(session, entry_id)
    assert entry is not None
    assert entry.id is not None
    if entry.status in CLOSED:
        return  # it ended meanwhile (expired, repaired): nothing is left to end
    name = ListName(entry.list_name)
    in_force = entry.status == IN_FORCE[name]
    step = TransitionInput(
        to=EntryStatus.REMOVED if in_force else EntryStatus.DROPPED,
        removal_reason=RemovalReason.REVOKED if in_force else None,
        reason=reason,
    )
    await steps.move(session, actor, name, entry.id, step)


def _without_person(responsible: list[dict[str, Any]], person_id: int) -> list[dict[str, Any]]:
    return [p for p in responsible if int(p.get("subject_id", 0)) != person_id]


async def _uphold(
    session: AsyncSession, actor: Actor, objection: Objection, step: ObjectionTransition
) -> None:
    reason = _why(objection, step)
    target = ObjectionTarget(objection.target_type)
    if target is ObjectionTarget.LIST_ENTRY:
        await targets.flag(session, actor, objection, False)
        await _end_entry(session, actor, objection.target_id, reason)
        return
    since: date | None = None
    if target is ObjectionTarget.RESULT:
        await targets.flag(session, actor, objection, False)
        result = await supersede.get_result(session, objection.target_id)
        since = (await runs.get_run(session, result.run_id)).cycle_end
    if objection.record_id is not None:
        revision = await records.current_revision(session, objection.record_id)
        assert revision is not None
        since = revision.decided_on if since is None else min(since, revision.decided_on)
        if target is ObjectionTarget.POINTS:
            kept = _without_person(revision.responsible, objection.subject_id)
            await record_service.correct(
                session, actor, objection.record_id, {"responsible": kept}, reason
            )
        elif revision.status != RecordStatus.REVOKED:
            await record_service.revoke(session, actor, objection.record_id, reason)
    if target is not ObjectionTarget.POINTS:
        await _supersede(session, actor, objection.subject_id, reason, since)


async def _partly(
    session: AsyncSession, actor: Actor, objection: Objection, step: ObjectionTransition
) -> None:
    reason = _why(objection, step)
    target = ObjectionTarget(objection.target_type)
    if target is ObjectionTarget.LIST_ENTRY:
        if not step.entry_changes:
            raise InvalidInput(
                "say what the partly upheld objection changes in the entry: reasons, "
                "legal_basis or valid_until",
                field="entry_changes",
                rule="required",
            )
        try:
            change = AmendInput.model_validate({**step.entry_changes, "reason": reason})
        except ValidationError as error:
            first = error.errors()[0]
            raise InvalidInput(
                f"entry_changes: {first['msg']}",
                field="entry_changes." + ".".join(str(p) for p in first["loc"]),
                rule="schema",
            ) from None
        await targets.flag(session, actor, objection, False)
        entry = await lists.get(session, objection.target_id)
        assert entry is not None
        await steps.amend(session, actor, ListName(entry.list_name), objection.target_id, change)
        objection.decided_changes = change.model_dump(mode="json", exclude_unset=True)
        return
    if objection.record_id is None or not step.corrections:
        raise InvalidInput(
            "say which record facts the partly upheld objection corrects"
            + ("" if objection.record_id else " (the objection names no record)"),
            field="corrections",
            rule="required",
        )
    if target is ObjectionTarget.RESULT:
        await targets.flag(session, actor, objection, False)
    revision = await record_service.correct(
        session, actor, objection.record_id, step.corrections, reason
    )
    objection.decided_changes = dict(revision.changes)
    changed_dates = [
        date.fromisoformat(str(value))
        for value in revision.changes.get("decided_on", {}).values()
        if value
    ]
    since = min([revision.decided_on, *changed_dates])
    await _supersede(session, actor, objection.subject_id, reason, since)


async def carry_out(
    session: AsyncSession,
    actor: Actor,
    objection: Objection,
    step: ObjectionTransition,
    today: date,
) -> None:
    """The decision's consequences; any refusal rolls the whole decision back."""
    decision = S(step.to)
    if decision is S.UPHELD:
        await _uphold(session, actor, objection, step)
    elif decision is S.PARTLY_UPHELD:
        await _partly(session, actor, objection, step)
    else:
        await targets.flag(session, actor, objection, False)
    session.add(objection)
    await session.flush()


async def approve_repair(
    session: AsyncSession, actor: Actor, repair: Repair, effect: ScoreEffect, today: date
) -> None:
    """End publication or the listing; the record keeps counting until the next cycle when the
    pack says so."""
    reason = f"credit repair {repair.id} approved"
    if RepairTarget(repair.target_type) is RepairTarget.RECORD:
        counts_until = today if effect is ScoreEffect.NEXT_CYCLE else None
        await record_service.mark_repaired(
            session, actor, repair.target_id, reason, counts_until=counts_until
        )
        return
    entry = await lists.get(session, repair.target_id)
    assert entry is not None
    assert entry.id is not None
    step = TransitionInput(
        to=EntryStatus.REMOVED, removal_reason=RemovalReason.REPAIRED, reason=reason
    )
    await steps.move(session, actor, ListName(entry.list_name), entry.id, step)
