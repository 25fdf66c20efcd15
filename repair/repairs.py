"""Credit repair (信用修复): eligibility first, then the request and its four-eyes decision.

A request is refused at filing when a condition of the pack is unmet (not repairable, minimum
period running, a new negative record, interval or limit reached), naming every one. The signed
commitment and proof of fulfilled obligations are uploaded to the filed request; it is accepted
only when they are there. A reviewer (or an admin) other than whoever accepted it or opened the
review decides, within the pack's working days of acceptance.
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
from credit.policy.remedies import RepairRules
from credit.policy.service import get_version
from repair import deadlines, effects, eligibility, notices, repository, workflow
from repair.eligibility import Eligibility
from repair.models import Repair, RepairStatus, RepairTarget
from repair.repository import CaseFilter
from repair.schemas import RepairCreate, RepairTransition

S = RepairStatus
DECISIONS = frozenset({S.APPROVED, S.REJECTED})
NEED_A_REASON = frozenset({S.NOT_ACCEPTED, S.REJECTED})
DECIDERS, HANDLERS = workflow.DECIDERS, workflow.HANDLERS


def _missing(repair_id: int) -> NotFound:
    return NotFound(f"repair {repair_id} does not exist", field="repair_id", rule="exists")


def ensure_can_read(actor: Actor, repair: Repair) -> None:
    if not workflow.may_read(actor, repair):
        raise _missing(repair.id or 0)


async def readable(session: AsyncSession, actor: Actor, repair_id: int) -> Repair:
    found = await repository.repair(session, repair_id)
    if found is None:
        raise _missing(repair_id)
    ensure_can_read(actor, found)
    return found


async def assess(
    session: AsyncSession,
    actor: Actor,
    target_type: RepairTarget,
    target_id: int,
    *,
    today: date | None = None,
) -> Eligibility:
    """The conditions for repairing this target today, for its subject or a regulator."""
    found = await eligibility.assess(
        session, target_type, target_id, today=today or business_today()
    )
    if actor.role is Role.SUBJECT and actor.subject_id != found.subject_id:
        raise NotFound(
            f"{target_type} {target_id} does not exist", field="target_id", rule="exists"
        )
    return found


def _refusal(found: Eligibility) -> InvalidInput:
    first = found.unmet[0]
    names = "; ".join(f"{c.code}: {c.message}" for c in found.unmet)
    return InvalidInput(
        f"the repair can not be asked now — {names}",
        field="target_id",
        rule=first.code,
        extra={
            "unmet": [
                {"code": c.code, "message": c.message, "on": c.on.isoformat() if c.on else None}
                for c in found.unmet
            ],
            "earliest_on": found.earliest_on.isoformat() if found.earliest_on else None,
        },
    )


async def file(
    session: AsyncSession, actor: Actor, data: RepairCreate, *, today: date | None = None
) -> Repair:
    """File a request; refused (nothing stored) when any condition of the pack is unmet."""
    today = today or business_today()
    statement = (data.statement or "").strip()
    if not statement:
        raise InvalidInput(
            "say how the conduct was corrected: a statement is required",
            field="statement",
            rule="required",
        )
    found = await assess(session, actor, data.target_type, data.target_id, today=today)
    if not found.eligible:
        raise _refusal(found)
    rules = await national_rules(session, today)
    due = await deadlines.due_after(
        session, today, rules.pack.remedies.repair.accept_within_working_days
    )
    now = utcnow()
    repair = Repair(
        subject_id=found.subject_id,
        target_type=str(data.target_type),
        target_id=data.target_id,
        statement=statement,
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
            session.add(repair)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            f"{data.target_type} {data.target_id} already has an open repair",
            field="target_id",
            rule="repair_open",
        ) from None
    await workflow.record_event(session, actor, repair, None, action="submitted", reason=None)
    await notices.tell_regulators(
        session,
        repair,
        "submitted",
        f"repair of {data.target_type} {data.target_id} asked; accept or refuse it by "
        f"{due.date.isoformat()}",
    )
    return repair


async def _rules(session: AsyncSession, repair: Repair) -> RepairRules:
    return national_of(await get_version(session, repair.pack_version_id)).remedies.repair


def _check_actor(repair: Repair, to: S, actor: Actor) -> None:
    allowed = DECIDERS if to in DECISIONS else HANDLERS
    if actor.role not in allowed:
        roles = ", ".join(sorted(str(role) for role in allowed - {Role.SYSTEM}))
        raise Forbidden(
            f"role {actor.role} may not move a repair to {to}; allowed: {roles}",
            field="to",
            rule="role",
        )
    handled_by = {repair.accepted_by, repair.reviewed_by} - {None}
    if to in DECISIONS and actor.role is not Role.SYSTEM and actor.name in handled_by:
        raise Forbidden(
            f"{actor.name} accepted or reviewed repair {repair.id}; another reviewer must "
            "decide it",
            field="actor",
            rule="four_eyes",
        )


async def _ready(session: AsyncSession, repair: Repair, today: date) -> None:
    """Every condition met and every document uploaded, or 409 naming what is missing."""
    found = await eligibility.assess(
        session, RepairTarget(repair.target_type), repair.target_id, today=today, repair=repair
    )
    if not found.eligible:
        raise Conflict(_refusal(found).message, field="status", rule=found.unmet[0].code)
    if found.documents_required:
        raise Conflict(
            f"repair {repair.id} still needs: {', '.join(found.documents_required)} (upload them "
            "as evidence files of that purpose, or refuse the request)",
            field="evidence",
            rule="documents_missing",
            extra={"documents_required": found.documents_required},
        )


async def move(
    session: AsyncSession,
    actor: Actor,
    repair_id: int,
    step: RepairTransition,
    *,
    today: date | None = None,
) -> Repair:
    """One step; approval carries out its effects in the same transaction."""
    repair = await repository.repair(session, repair_id, for_update=True)
    if repair is None:
        raise _missing(repair_id)
    today = today or business_today()
    to = S(step.to)
    workflow.REPAIR.check(S(repair.status), to, repair.id)
    _check_actor(repair, to, actor)
    if to in NEED_A_REASON and not step.reason:
        raise InvalidInput(f"a reason is required to move to {to}", field="reason", rule="required")
    rules = await _rules(session, repair)
    stamps: dict[str, object]
    if to is S.ACCEPTED:
        await _ready(session, repair, today)
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
    else:
        stamps = {
            "decided_by": actor.name,
            "decided_on": today,
            "decision_reason": step.reason,
            "deadline": None,
            "overdue_since": None,
        }
        if to is S.APPROVED:
            await _ready(session, repair, today)
            stamps["score_effect"] = str(rules.score_effect)
    await workflow.transition(session, actor, repair, to, reason=step.reason, stamps=stamps)
    if to is S.APPROVED:
        await effects.approve_repair(session, actor, repair, rules.score_effect, today)
    await notices.tell_subject(session, repair, str(to), _told(repair, to, step.reason))
    return repair


def _told(repair: Repair, to: S, reason: str | None) -> str:
    if to is S.ACCEPTED:
        assert repair.deadline is not None
        return f"受理 accepted; the decision is due by {repair.deadline.isoformat()}"
    if to is S.APPROVED:
        return (
            "approved: publication has ended"
            + (f" ({reason})" if reason else "")
            + f"; score effect: {repair.score_effect}"
        )
    return f"{to}" + (f": {reason}" if reason else "")


async def page(
    session: AsyncSession, actor: Actor, filters: CaseFilter, *, cursor: str | None, limit: int
) -> Page[Repair]:
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
        await repository.repairs(session, filters, after_id=decode_cursor(cursor), limit=limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].id if more and rows else None
    return Page(items=rows, next_cursor=encode_cursor(last) if last is not None else None)
