"""Objections (异议): filing, the steps of the procedure with their deadlines, and reading.

Deadlines count Chinese working days from the pack in force when the objection was filed:
acceptance within `accept_within_working_days` of filing, the decision within
`decide_within_working_days` of acceptance, extendable `max_extensions` times by
`extension_working_days` with a reason. Regulators accept and open the review; a reviewer (or an
admin) other than whoever accepted it or opened the review decides it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit.kernel.pagination import Page, check_limit, decode_cursor, encode_cursor
from credit.policy.regime import national_of, national_rules
from credit.policy.remedies import ObjectionDeadlines
from credit.policy.service import get_version
from repair import deadlines, effects, notices, repository, targets, workflow
from repair.models import Objection, ObjectionStatus, ObjectionTarget
from repair.repository import CaseFilter
from repair.schemas import ObjectionCreate, ObjectionStep, ObjectionTransition

S = ObjectionStatus
DECISIONS = frozenset({S.UPHELD, S.PARTLY_UPHELD, S.DISMISSED})
NEED_A_REASON = DECISIONS | {S.NOT_ACCEPTED}
DECIDERS, HANDLERS = workflow.DECIDERS, workflow.HANDLERS


def _missing(objection_id: int) -> NotFound:
    return NotFound(f"objection {objection_id} does not exist", field="objection_id", rule="exists")


def ensure_can_read(actor: Actor, objection: Objection) -> None:
    if not workflow.may_read(actor, objection):
        raise _missing(objection.id or 0)


async def readable(session: AsyncSession, actor: Actor, objection_id: int) -> Objection:
    found = await repository.objection(session, objection_id)
    if found is None:
        raise _missing(objection_id)
    ensure_can_read(actor, found)
    return found


async def _rules(session: AsyncSession, objection: Objection) -> ObjectionDeadlines:
    version = await get_version(session, objection.pack_version_id)
    return national_of(version).remedies.objection


def _objector(actor: Actor, data: ObjectionCreate) -> int | None:
    if actor.role is Role.SUBJECT:
        if data.subject_id not in (None, actor.subject_id):
            raise NotFound(
                f"{data.target_type} {data.target_id} does not exist",
                field="target_id",
                rule="exists",
            )
        return actor.subject_id
    return data.subject_id


async def file(
    session: AsyncSession, actor: Actor, data: ObjectionCreate, *, today: date | None = None
) -> Objection:
    """File an objection; nothing is stored when it has no grounds, is not the subject's own,
    or falls outside the target's window."""
    today = today or business_today()
    grounds = (data.grounds or "").strip()
    if not grounds:
        raise InvalidInput(
            "say what is wrong and why: grounds are required", field="grounds", rule="required"
        )
    objector = _objector(actor, data)
    target = await targets.resolve(
        session,
        data.target_type,
        data.target_id,
        objector_id=objector if data.target_type is ObjectionTarget.POINTS else None,
        record_id=data.record_id,
        today=today,
    )
    targets.ensure_own(actor, target, data.target_type, data.target_id)
    existing = await repository.open_objection(
        session, str(data.target_type), data.target_id, target.subject_id
    )
    if existing is not None:
        raise _already_open(data, existing.id)
    rules = await national_rules(session, today)
    due = await deadlines.due_after(
        session, today, rules.pack.remedies.objection.accept_within_working_days
    )
    now = utcnow()
    objection = Objection(
        subject_id=target.subject_id,
        target_type=str(data.target_type),
        target_id=data.target_id,
        record_id=target.record_id,
        grounds=grounds,
        requested_outcome=data.requested_outcome,
        status=str(S.SUBMITTED),
        pack_version_id=rules.version_id,
        submitted_by=actor.name,
        submitted_role=str(actor.role),
        submitted_at=now,
        submitted_on=today,
        deadline=due.date,
        deadline_exact=due.exact,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(objection)
            await session.flush()
    except IntegrityError:
        raise _already_open(data, None) from None
    await workflow.record_event(session, actor, objection, None, action="submitted", reason=None)
    await notices.tell_regulators(
        session,
        objection,
        "submitted",
        f"{data.target_type} {data.target_id} is disputed; accept or refuse it by "
        f"{due.date.isoformat()}",
    )
    return objection


def _already_open(data: ObjectionCreate, existing_id: int | None) -> Conflict:
    return Conflict(
        f"{data.target_type} {data.target_id} already has an open objection"
        + (f" ({existing_id})" if existing_id else ""),
        field="target_id",
        rule="one_open_objection",
        extra={"existing_id": existing_id},
    )


def _check_actor(objection: Objection, to: S, actor: Actor) -> None:
    allowed = DECIDERS if to in DECISIONS else HANDLERS
    if actor.role not in allowed:
        roles = ", ".join(sorted(str(role) for role in allowed - {Role.SYSTEM}))
        raise Forbidden(
            f"role {actor.role} may not move an objection to {to}; allowed: {roles}",
            field="to",
            rule="role",
        )
    if to in DECISIONS and actor.role is not Role.SYSTEM:
        handled_by = {objection.accepted_by, objection.reviewed_by} - {None}
        if actor.name in handled_by:
            raise Forbidden(
                f"{actor.name} accepted or reviewed objection {objection.id}; another reviewer "
                "must decide it",
                field="actor",
                rule="four_eyes",
            )


async def move(
    session: AsyncSession,
    actor: Actor,
    objection_id: int,
    step: ObjectionTransition,
    *,
    today: date | None = None,
) -> Objection:
    """One step of the procedure; a decision carries out its effects in the same transaction."""
    objection = await repository.objection(session, objection_id, for_update=True)
    if objection is None:
        raise _missing(objection_id)
    today = today or business_today()
    if step.to is ObjectionStep.EXTENDED:
        return await _extend(session, actor, objection, step.reason, today)
    to = S(step.to)
    workflow.OBJECTION.check(S(objection.status), to, objection.id)
    _check_actor(objection, to, actor)
    if to in NEED_A_REASON and not step.reason:
        raise InvalidInput(f"a reason is required to move to {to}", field="reason", rule="required")
    stamps: dict[str, object] = {}
    if to is S.ACCEPTED:
        rules = await _rules(session, objection)
        due = await deadlines.due_after(session, today, rules.decide_within_working_days)
        stamps = {
            "accepted_by": actor.name,
            "accepted_on": today,
            "deadline": due.date,
            "deadline_exact": due.exact,
            "overdue_since": None,
        }
    elif to is S.UNDER_REVIEW:
        stamps = {"reviewed_by": actor.name}
    else:  # not accepted, or decided: nothing runs any more
        stamps = {
            "decided_by": actor.name,
            "decided_on": today,
            "decision_reason": step.reason,
            "deadline": None,
            "overdue_since": None,
        }
    await workflow.transition(session, actor, objection, to, reason=step.reason, stamps=stamps)
    if to is S.UNDER_REVIEW:
        await targets.flag(session, actor, objection, True)
    elif to in DECISIONS:
        await effects.carry_out(session, actor, objection, step, today)
    await _tell(session, objection, to, step.reason)
    return objection


async def _tell(session: AsyncSession, objection: Objection, to: S, reason: str | None) -> None:
    if to is S.ACCEPTED:
        assert objection.deadline is not None
        body = f"受理 accepted; the decision is due by {objection.deadline.isoformat()}"
    elif to is S.UNDER_REVIEW:
        body = "under review; the disputed item shows 异议中 until it is decided"
    else:
        body = f"{to}: {reason}"
    await notices.tell_subject(session, objection, str(to), body)


async def _extend(
    session: AsyncSession, actor: Actor, objection: Objection, reason: str | None, today: date
) -> Objection:
    if actor.role not in HANDLERS:
        raise Forbidden("only a regulator extends a deadline", field="to", rule="role")
    if S(objection.status) not in (S.ACCEPTED, S.UNDER_REVIEW) or objection.deadline is None:
        raise Conflict(
            f"objection {objection.id} is {objection.status}; the decision deadline of an "
            "accepted objection is extended",
            field="status",
            rule="transition",
            extra={"current_status": objection.status},
        )
    if not reason:
        raise InvalidInput("an extension needs a reason", field="reason", rule="required")
    rules = await _rules(session, objection)
    if objection.extensions >= rules.max_extensions:
        raise Conflict(
            f"objection {objection.id} was extended {objection.extensions} time(s), the most the "
            "policy allows",
            field="to",
            rule="extension_limit",
            extra={"max_extensions": rules.max_extensions},
        )
    before = objection.deadline
    due = await deadlines.due_after(session, before, rules.extension_working_days)
    objection.deadline = due.date
    objection.deadline_exact = objection.deadline_exact and due.exact
    objection.extensions += 1
    if objection.overdue_since is not None and due.date >= today:
        objection.overdue_since = None
    objection.updated_at = utcnow()
    session.add(objection)
    await session.flush()
    await workflow.record_event(
        session,
        actor,
        objection,
        objection.status,
        action="extended",
        reason=reason,
        changes={"deadline": {"from": before.isoformat(), "to": due.date.isoformat()}},
    )
    await notices.tell_subject(
        session,
        objection,
        f"extended-{objection.extensions}",
        f"the decision deadline moved from {before.isoformat()} to {due.date.isoformat()}: "
        f"{reason}",
    )
    return objection


async def page(
    session: AsyncSession,
    actor: Actor,
    filters: CaseFilter,
    *,
    cursor: str | None,
    limit: int,
) -> Page[Objection]:
    """Objections in id order; a subject account sees only its own."""
    if actor.role is Role.SUBJECT:
        if filters.subject_id not in (None, actor.subject_id):
            return Page(items=[], next_cursor=None)
        filters = CaseFilter(
            status=filters.status,
            target_type=filters.target_type,
            subject_id=actor.subject_id or -1,
            overdue=filters.overdue,
        )
    limit = check_limit(limit)
    rows = list(
        await repository.objections(
            session, filters, after_id=decode_cursor(cursor), limit=limit + 1
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].id if more and rows else None
    return Page(items=rows, next_cursor=encode_cursor(last) if last is not None else None)
