"""What an objection disputes: whose it is, the window in which it may be disputed, and the
异议中 flag shown on it while the objection is under review.

Windows come from what the policy pack made of the target: a record while its publication
period runs (`publish_until`, from the pack's tier or item); a result while its run is in
publicity (公示) or published; a list entry during its publicity or while in force; points for a
record decided in the current points year (the pack's `personnel_points.year_starts_on`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor, Role
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.lists import objection as list_flags
from credit.lists import repository as lists
from credit.lists.models import EntryStatus, ListEntry
from credit.policy.regime import national_rules
from credit.records import repository as records
from credit.records import service as record_service
from credit.records.models import RecordRevision, RecordStatus
from indicators import runs, supersede
from indicators.models import RunStatus
from repair import repository
from repair.models import Objection, ObjectionTarget

WINDOW = "objection_window"
OPEN_TO_OBJECTION_RUNS = frozenset({RunStatus.PUBLICITY, RunStatus.PUBLISHED})
OPEN_TO_OBJECTION_ENTRIES = frozenset(
    {EntryStatus.PUBLICITY, EntryStatus.PUBLISHED, EntryStatus.LISTED}
)


@dataclass(frozen=True, slots=True)
class Target:
    """A disputed thing: the subject it belongs to and the record a decision would revise."""

    subject_id: int
    record_id: int | None


def _missing(target_type: ObjectionTarget, target_id: int) -> NotFound:
    return NotFound(f"{target_type} {target_id} does not exist", field="target_id", rule="exists")


def _outside(message: str, **extra: object) -> Conflict:
    return Conflict(message, field="target_id", rule=WINDOW, extra=dict(extra))


async def _record(session: AsyncSession, record_id: int) -> RecordRevision:
    found = await records.current_revision(session, record_id)
    if found is None:
        raise _missing(ObjectionTarget.RECORD, record_id)
    return found


def _record_window(revision: RecordRevision, today: date) -> None:
    if revision.status == RecordStatus.REVOKED:
        raise _outside(f"record {revision.record_id} is revoked; there is nothing to dispute")
    if revision.publish_until is None:
        raise _outside(
            f"record {revision.record_id} has no publication period, so it can not be disputed "
            "here (favourable information counts only for the subject)"
        )
    if today > revision.publish_until:
        raise _outside(
            f"record {revision.record_id} could be disputed until its publication period ended "
            f"on {revision.publish_until.isoformat()}",
            window_ends_on=revision.publish_until.isoformat(),
        )


async def _points_window(
    session: AsyncSession, revision: RecordRevision, person_id: int, today: date
) -> None:
    named = [p for p in revision.responsible if int(p.get("subject_id", 0)) == person_id]
    if not named:
        raise NotFound(
            f"record {revision.record_id} gives subject {person_id} no points",
            field="target_id",
            rule="exists",
        )
    if revision.status == RecordStatus.REVOKED:
        raise _outside(f"record {revision.record_id} is revoked; it gives no points")
    year_start = (await national_rules(session, today)).pack.personnel_points.year_start(today)
    if revision.decided_on < year_start:
        raise _outside(
            f"points of record {revision.record_id} (decided {revision.decided_on.isoformat()}) "
            f"belong to a closed points year; this year's points count from "
            f"{year_start.isoformat()}",
            window_starts_on=year_start.isoformat(),
        )


async def _entry(session: AsyncSession, entry_id: int) -> ListEntry:
    entry = await lists.get(session, entry_id)
    if entry is None or entry.disclosed_at is None:
        raise _missing(ObjectionTarget.LIST_ENTRY, entry_id)
    return entry


def _entry_window(entry: ListEntry) -> None:
    status = EntryStatus(entry.status)
    if status is EntryStatus.NOTIFIED:
        raise _outside(
            f"{entry.list_name} list entry {entry.id} is notified: state and defend (陈述申辩) "
            "before the decision instead; an objection opens with its publicity",
            current_status=entry.status,
        )
    if status not in OPEN_TO_OBJECTION_ENTRIES:
        raise _outside(
            f"{entry.list_name} list entry {entry.id} is {entry.status}; an entry is disputed "
            "during its publicity (公示) or while in force",
            current_status=entry.status,
        )


async def resolve(
    session: AsyncSession,
    target_type: ObjectionTarget,
    target_id: int,
    *,
    objector_id: int | None,
    record_id: int | None,
    today: date,
) -> Target:
    """The target's owner and record, or NotFound / Conflict (outside its window).

    For points, `objector_id` is the person whose points they are.
    """
    if target_type is ObjectionTarget.RECORD:
        revision = await _record(session, target_id)
        _record_window(revision, today)
        return Target(revision.subject_id, target_id)
    if target_type is ObjectionTarget.POINTS:
        revision = await _record(session, target_id)
        if objector_id is None:
            raise InvalidInput(
                "name the person whose points are disputed", field="subject_id", rule="required"
            )
        await _points_window(session, revision, objector_id, today)
        return Target(objector_id, target_id)
    if target_type is ObjectionTarget.LIST_ENTRY:
        entry = await _entry(session, target_id)
        _entry_window(entry)
        return Target(entry.subject_id, None)
    result = await supersede.get_result(session, target_id)
    run = await runs.get_run(session, result.run_id)
    if RunStatus(run.status) not in OPEN_TO_OBJECTION_RUNS:
        if run.status in (RunStatus.COMPUTED, RunStatus.IN_REVIEW):
            raise _missing(target_type, target_id)  # not disclosed to the subject yet
        raise _outside(
            f"result {target_id} belongs to evaluation run {run.id}, which is {run.status}; a "
            "result is disputed while its run is in publicity (公示) or published",
            current_status=run.status,
        )
    if record_id is not None:
        named = await _record(session, record_id)
        if named.subject_id != result.subject_id:
            raise InvalidInput(
                f"record {record_id} is not a record of subject {result.subject_id}",
                field="record_id",
                rule="subject_records",
            )
    return Target(result.subject_id, record_id)


def ensure_own(actor: Actor, target: Target, target_type: ObjectionTarget, target_id: int) -> None:
    """A subject disputes only its own targets; another's is as if it did not exist."""
    if actor.role is Role.SUBJECT and actor.subject_id != target.subject_id:
        raise _missing(target_type, target_id)


async def flag(session: AsyncSession, actor: Actor, objection: Objection, flagged: bool) -> None:
    """Show the target 异议中 while the objection is under review; clear it when decided
    (a record is cleared only when the decision did not revise it)."""
    target_type = ObjectionTarget(objection.target_type)
    why = f"objection {objection.id} " + ("under review" if flagged else "decided")
    if target_type is ObjectionTarget.LIST_ENTRY:
        await list_flags.set_under_objection(
            session, actor, objection.target_id, flagged, reason=why
        )
        return
    if target_type is ObjectionTarget.RESULT:
        await supersede.flag_result(session, objection.target_id, flagged)
        return
    assert objection.record_id is not None
    revision = await _record(session, objection.record_id)
    under = revision.status == RecordStatus.UNDER_OBJECTION
    if flagged and not under:
        await record_service.set_under_objection(session, actor, objection.record_id, why)
    elif not flagged and under and not await repository.other_reviews_of_record(session, objection):
        await record_service.clear_objection(session, actor, objection.record_id, why)
