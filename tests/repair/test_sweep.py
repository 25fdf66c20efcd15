"""The deadline sweep reminds before a deadline and escalates past it, each once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api.db import Database
from credit.notifications.models import Notification
from repair import repository
from repair.sweep import sweep_deadlines
from tests.repair.support import (
    add_record,
    ago,
    file_objection,
    file_repair,
    hospital,
    seed,
    subject_actor,
    today,
)


async def _notifications(db: Database) -> list[Notification]:
    async with db.transaction() as session:
        return list((await session.execute(select(Notification))).scalars())


async def test_reminders_and_escalation_happen_once(db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    subject = subject_actor(subject_id)
    fresh = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(30), "fresh")
    stale = await add_record(db, subject_id, "ENF-38-BED-HOLDING", ago(40), "stale")
    near = await file_objection(db, subject, target_type="record", target_id=fresh)
    overdue = await file_objection(
        db, subject, target_type="record", target_id=stale, today=today() - timedelta(days=20)
    )
    other_id = await hospital(db, 2)
    waiting = await add_record(db, other_id, "ENF-38-EXCESSIVE-TESTS", ago(200), "repair")
    await file_repair(db, subject_actor(other_id), target_type="record", target_id=waiting)
    before = {n.dedupe_key for n in await _notifications(db)}

    async with db.transaction() as session:
        acted = await sweep_deadlines(session, today())
    assert acted == 3  # two reminders (objection, repair), one escalation
    sent = {n.dedupe_key for n in await _notifications(db)} - before
    assert f"objection:{near.id}:reminder:{near.deadline}:officer" in sent
    assert f"objection:{overdue.id}:overdue:{overdue.deadline}:officer" in sent
    assert f"objection:{overdue.id}:overdue:{overdue.deadline}:reviewer" in sent
    async with db.transaction() as session:
        escalated = await repository.objection(session, overdue.id or 0)
        events = await repository.objection_events(session, overdue.id or 0)
    assert escalated is not None
    assert escalated.overdue_since == today()
    assert [e.action for e in events] == ["submitted", "overdue"]

    async with db.transaction() as session:
        again = await sweep_deadlines(session, today())
    assert again == 0
    assert len(await _notifications(db)) == len(before) + len(sent)
    async with db.transaction() as session:
        assert len(await repository.objection_events(session, overdue.id or 0)) == 2
