"""Deriving measure assignments from standings, set-based, and ending them when due.

`reconcile` is the only place an assignment starts, changes its trigger or ends because its
trigger stopped; `sweep_measures` ends those whose duration ran out. Both work on chunks of
subjects with a fixed handful of statements per chunk, and log every change for partners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.changelog.models import ChangeOp
from credit.kernel.clock import business_today, utcnow
from credit.measures import catalog as measure_catalog
from credit.measures import repository
from credit.measures.catalog import MeasureCatalog
from credit.measures.models import AssignmentStatus, EndReason
from credit.measures.schemas import assignment_public
from credit.measures.standing import Standing, held_triggers, trigger_basis
from credit.policy.lists import Measure
from credit.records.publication import add_months

CHUNK_SUBJECTS = 500  # subjects per chunk: a few statements each, IN lists well inside limits

__all__ = ["CHUNK_SUBJECTS", "ReconcileReport", "Standing", "reconcile", "sweep_measures"]


@dataclass(slots=True)
class ReconcileReport:
    subjects: int = 0
    started: int = 0
    changed: int = 0  # still applies, on another trigger (a new cycle's grade, more points)
    ended: int = 0


@dataclass(slots=True)
class _Plan:
    starts: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    ends: list[dict[str, Any]]


def _body(values: dict[str, Any], catalog: MeasureCatalog) -> dict[str, Any]:
    return assignment_public(values, catalog.get(values["measure_code"])).model_dump(mode="json")


def _new_row(
    standing: Standing, measure: Measure, trigger: str, catalog: MeasureCatalog, today: date
) -> dict[str, Any]:
    now = utcnow()
    months = measure.duration_months
    return {
        "measure_code": measure.code,
        "measure_type": str(measure.type),
        "pack_version_id": catalog.pack_version_id,
        "subject_id": standing.subject_id,
        "agency": measure.agency.code,
        "trigger": trigger,
        "starts_on": today,
        "ends_on": add_months(today, months) if months else None,
        "status": str(AssignmentStatus.ACTIVE),
        "end_reason": None,
        "feedback_outcome": None,
        "feedback_on": None,
        "created_at": now,
        "updated_at": now,
    }


def _ended(row: dict[str, Any], reason: EndReason, today: date) -> dict[str, Any]:
    # A duration that ran out ends on its planned day; anything else ends today.
    planned = row["ends_on"]
    ends_on = planned if reason is EndReason.DURATION_ELAPSED and planned else today
    return {
        **row,
        "status": str(AssignmentStatus.ENDED),
        "ends_on": max(ends_on, row["starts_on"]),
        "end_reason": str(reason),
        "updated_at": utcnow(),
    }


def _plan(
    standings: dict[int, Standing],
    active: list[dict[str, Any]],
    spent: set[tuple[int, str, str]],
    catalog: MeasureCatalog,
    today: date,
) -> _Plan:
    """What must start, change and end so the assignments match the standings."""
    current = {(row["subject_id"], row["measure_code"]): row for row in active}
    spent_bases = {(subject, code, trigger_basis(trigger)) for subject, code, trigger in spent}
    plan = _Plan([], [], [])
    for standing in standings.values():
        for measure in catalog.measures:
            if standing.kind not in measure.subject_kinds:
                continue
            held = held_triggers(measure.trigger, standing)
            row = current.pop((standing.subject_id, measure.code), None)
            if row is not None:
                if row["ends_on"] is not None and row["ends_on"] <= today:
                    plan.ends.append(_ended(row, EndReason.DURATION_ELAPSED, today))
                elif not held:
                    plan.ends.append(_ended(row, EndReason.TRIGGER_ENDED, today))
                elif row["trigger"] not in held:
                    plan.changes.append({**row, "trigger": held[0], "updated_at": utcnow()})
                continue
            # A measure whose duration ran out is not started again on the same occasion.
            if held and not any(
                (standing.subject_id, measure.code, trigger_basis(trigger)) in spent_bases
                for trigger in held
            ):
                plan.starts.append(_new_row(standing, measure, held[0], catalog, today))
    # Left over: the pack in force dropped the measure, or no longer applies it to the kind.
    plan.ends.extend(_ended(row, EndReason.MEASURE_WITHDRAWN, today) for row in current.values())
    return plan


_CHANGED_COLUMNS = {
    ChangeOp.MOD: ("id", "trigger", "updated_at"),
    ChangeOp.DEL: ("id", "status", "ends_on", "end_reason", "updated_at"),
}


async def _apply(session: AsyncSession, plan: _Plan, catalog: MeasureCatalog) -> None:
    ids = await repository.insert_assignments(session, plan.starts)
    started = [{**row, "id": ids[(row["subject_id"], row["measure_code"])]} for row in plan.starts]
    await repository.update_by_id(
        session,
        [{name: row[name] for name in _CHANGED_COLUMNS[ChangeOp.MOD]} for row in plan.changes]
        + [{name: row[name] for name in _CHANGED_COLUMNS[ChangeOp.DEL]} for row in plan.ends],
    )
    await repository.append_changes(
        session,
        [(ChangeOp.ADD, _body(row, catalog)) for row in started]
        + [(ChangeOp.MOD, _body(row, catalog)) for row in plan.changes]
        + [(ChangeOp.DEL, _body(row, catalog)) for row in plan.ends],
    )


async def reconcile(
    session: AsyncSession, standings: Sequence[Standing], *, today: date | None = None
) -> ReconcileReport:
    """Start, change and end assignments so they follow these subjects' standings."""
    today = today or business_today()
    catalog = await measure_catalog.in_force(session, today)
    report = ReconcileReport()
    for start in range(0, len(standings), CHUNK_SUBJECTS):
        chunk = {
            standing.subject_id: standing for standing in standings[start : start + CHUNK_SUBJECTS]
        }
        active = await repository.active_for(session, chunk)
        spent = await repository.spent_triggers(session, chunk)
        plan = _plan(chunk, active, spent, catalog, today)
        await _apply(session, plan, catalog)
        report.subjects += len(chunk)
        report.started += len(plan.starts)
        report.changed += len(plan.changes)
        report.ended += len(plan.ends)
    return report


async def sweep_measures(session: AsyncSession, today: date | None = None) -> int:
    """End every active assignment whose duration ran out by `today`; how many ended."""
    today = today or business_today()
    catalog = await measure_catalog.in_force(session, today)
    ended, after_id = 0, 0
    while rows := await repository.due_to_end(
        session, today, after_id=after_id, limit=CHUNK_SUBJECTS
    ):
        plan = _Plan([], [], [_ended(row, EndReason.DURATION_ELAPSED, today) for row in rows])
        await _apply(session, plan, catalog)
        ended += len(rows)
        after_id = rows[-1]["id"]
    return ended
