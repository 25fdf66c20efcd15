"""The steps of the procedures: what each one checks and stamps before the guarded transition.

Periods come from the policy pack version the entry was proposed under, so an entry keeps the
regime it started in; working days count the Chinese calendar (`credit.calendar`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.calendar.service import add_working_days
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import Conflict, Forbidden, InvalidInput
from credit.lists import repository, workflow
from credit.lists.models import EntryStatus, ListEntry, RemovalReason
from credit.lists.schemas import AmendInput, TransitionInput
from credit.lists.service import get_entry
from credit.policy.lists import BlackListRules, ListRules, RedListRules
from credit.policy.regime import national_of
from credit.policy.service import get_version
from credit.policy.vocabulary import ListName
from credit.records.publication import add_months

Stamps = dict[str, Any]
Step = Callable[
    [AsyncSession, ListEntry, TransitionInput, Actor, date], Coroutine[Any, Any, Stamps]
]


async def _rules(session: AsyncSession, entry: ListEntry) -> ListRules:
    return national_of(await get_version(session, entry.pack_version_id)).lists


async def _notify(
    session: AsyncSession, entry: ListEntry, step: TransitionInput, actor: Actor, today: date
) -> Stamps:
    black = (await _rules(session, entry)).black
    deadline = await add_working_days(session, today, black.notice_working_days)
    return {"notice_deadline": deadline.date, "notice_deadline_exact": deadline.exact}


async def _decide(
    session: AsyncSession, entry: ListEntry, step: TransitionInput, actor: Actor, today: date
) -> Stamps:
    """The decision weighs the defence; without one, it waits for the notice period to end."""
    note = step.defence_considered
    if ListName(entry.list_name) is ListName.BLACK:
        assert entry.id is not None
        defended = bool(await repository.defences_of(session, entry.id))
        if defended and not note:
            raise InvalidInput(
                "the subject submitted a statement and defence; say how it was considered",
                field="defence_considered",
                rule="required",
            )
        if not defended and entry.notice_deadline is not None and today <= entry.notice_deadline:
            raise Conflict(
                f"the subject may state and defend until {entry.notice_deadline.isoformat()}; "
                "decide after that day or once its defence has arrived",
                field="notice_deadline",
                rule="notice_period_running",
                extra={"notice_deadline": entry.notice_deadline.isoformat()},
            )
    return {"decided_by": actor.name, "decided_on": today, "decision_note": note or step.reason}


async def _publicity(
    session: AsyncSession, entry: ListEntry, step: TransitionInput, actor: Actor, today: date
) -> Stamps:
    rules = (await _rules(session, entry)).of(ListName(entry.list_name))
    assert isinstance(rules, BlackListRules | RedListRules)
    until = await add_working_days(session, today, rules.publicity_working_days)
    return {"publicity_until": until.date}


def _after_publicity(entry: ListEntry, today: date) -> None:
    if entry.publicity_until is not None and today <= entry.publicity_until:
        raise Conflict(
            f"publicity (公示) runs until {entry.publicity_until.isoformat()}; publish after it",
            field="publicity_until",
            rule="publicity_running",
            extra={"publicity_until": entry.publicity_until.isoformat()},
        )


async def _publish(
    session: AsyncSession, entry: ListEntry, step: TransitionInput, actor: Actor, today: date
) -> Stamps:
    _after_publicity(entry, today)
    rules = await _rules(session, entry)
    if ListName(entry.list_name) is ListName.BLACK:
        # Valid for the pack's years counted from the decision (DESIGN 5).
        decided = entry.decided_on or today
        until = add_months(decided, rules.black.validity_years * 12)
        if until < today:
            raise Conflict(
                f"the listing decided on {decided.isoformat()} would have ended on "
                f"{until.isoformat()}; it can no longer be published",
                field="decided_on",
                rule="validity_ended",
            )
        return {"valid_from": today, "valid_until": until}
    years = step.valid_years or rules.red.default_years
    low, high = rules.red.validity.min_years, rules.red.validity.max_years
    if not low <= years <= high:
        raise InvalidInput(
            f"a red list entry is valid for {low}–{high} years", field="valid_years", rule="range"
        )
    return {"valid_from": today, "valid_until": add_months(today, years * 12)}


async def _list(
    session: AsyncSession, entry: ListEntry, step: TransitionInput, actor: Actor, today: date
) -> Stamps:
    # A focus entry lasts until its review, when it ends unless it is listed again.
    months = (await _rules(session, entry)).focus.review_months
    return {"valid_from": today, "valid_until": add_months(today, months)}


async def _remove(
    session: AsyncSession, entry: ListEntry, step: TransitionInput, actor: Actor, today: date
) -> Stamps:
    if step.removal_reason is None:
        raise InvalidInput(
            f"say why the entry is removed: {', '.join(RemovalReason)}",
            field="removal_reason",
            rule="required",
        )
    if step.removal_reason is RemovalReason.EXPIRED and (
        entry.valid_until is None or entry.valid_until >= today
    ):
        raise Conflict(
            f"entry {entry.id} is valid until {entry.valid_until}; it has not expired",
            field="removal_reason",
            rule="not_expired",
        )
    return {"removal_reason": str(step.removal_reason), "removed_on": today}


async def _drop(
    session: AsyncSession, entry: ListEntry, step: TransitionInput, actor: Actor, today: date
) -> Stamps:
    return {}


STEPS: dict[EntryStatus, Step] = {
    EntryStatus.NOTIFIED: _notify,
    EntryStatus.DECIDED: _decide,
    EntryStatus.APPROVED: _decide,
    EntryStatus.PUBLICITY: _publicity,
    EntryStatus.PUBLISHED: _publish,
    EntryStatus.LISTED: _list,
    EntryStatus.REMOVED: _remove,
    EntryStatus.DROPPED: _drop,
}
NEED_A_REASON = frozenset({EntryStatus.REMOVED, EntryStatus.DROPPED})


async def move(
    session: AsyncSession,
    actor: Actor,
    list_name: ListName,
    entry_id: int,
    step: TransitionInput,
    *,
    today: date | None = None,
) -> ListEntry:
    """Take the entry one step along its procedure; nothing changes when the step is refused."""
    await get_entry(session, list_name, entry_id)
    entry = await repository.get(session, entry_id, for_update=True)
    assert entry is not None
    today = today or business_today()
    workflow.check(entry, step.to, actor)  # refuse before any period is computed
    if step.to in NEED_A_REASON and not step.reason:
        raise InvalidInput(
            f"a reason is required to move to {step.to}", field="reason", rule="required"
        )
    stamps = await STEPS[step.to](session, entry, step, actor, today)
    await workflow.transition(
        session, actor, entry, step.to, reason=step.reason, documents=step.documents, stamps=stamps
    )
    return entry


async def amend(
    session: AsyncSession, actor: Actor, list_name: ListName, entry_id: int, change: AmendInput
) -> ListEntry:
    """Change an entry in force (its reasons, basis or end); partners receive a MOD."""
    await get_entry(session, list_name, entry_id)
    entry = await repository.get(session, entry_id, for_update=True)
    assert entry is not None
    if actor.role not in (Role.ADMIN, Role.REVIEWER, Role.SYSTEM):
        raise Forbidden("only a reviewer or an admin amends an entry", field="actor", rule="role")
    if entry.status != workflow.IN_FORCE[list_name]:
        raise Conflict(
            f"{list_name} list entry {entry_id} is {entry.status}; only an entry in force is "
            "amended (move it along its procedure instead)",
            field="status",
            rule="amend_in_force_only",
            extra={"current_status": entry.status},
        )
    given = change.model_dump(exclude_unset=True, exclude={"reason", "documents"})
    if "valid_until" in given and (
        given["valid_until"] is None
        or (entry.valid_from is not None and given["valid_until"] < entry.valid_from)
    ):
        raise InvalidInput(
            "valid_until must be a date on or after valid_from", field="valid_until", rule="range"
        )
    changes = {
        name: {"from": _plain(getattr(entry, name)), "to": _plain(value)}
        for name, value in given.items()
        if getattr(entry, name) != value
    }
    if not changes:
        raise InvalidInput("the amendment changes nothing", field="changes", rule="no_change")
    for name in changes:
        setattr(entry, name, given[name])
    entry.updated_at = utcnow()
    session.add(entry)
    await session.flush()
    await workflow.record_event(
        session,
        actor,
        entry,
        EntryStatus(entry.status),
        reason=change.reason,
        documents=change.documents,
        changes=changes,
        action="amended",
    )
    return entry


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
