"""The demo holds objections and repairs in every state, some near their deadline, one overdue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from api.db import Database
from api.demo import build_demo
from api.settings import Settings
from credit.subjects.pii import PersonalIdentifiers
from repair.models import Objection, ObjectionStatus, Repair, RepairStatus
from repair.views import objections, repairs


async def test_the_demo_has_every_state_of_both_procedures(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    async with db.transaction() as session:
        built = await build_demo(
            session,
            PersonalIdentifiers(settings.secret_key),
            scale=0.15,
            evidence_dir=tmp_path / "evidence",
        )
    async with db.sessionmaker() as session:
        filed = list((await session.execute(select(Objection))).scalars())
        asked = list((await session.execute(select(Repair))).scalars())
        shown = await objections(session, filed) + await repairs(session, asked)  # type: ignore[operator]
    assert {o.status for o in filed} == set(ObjectionStatus)
    assert {r.status for r in asked} == set(RepairStatus)
    assert any(o.subject_id == built.province.hospital_id for o in filed)
    assert sum(1 for o in filed if o.overdue_since is not None) == 1
    open_deadlines = [item.deadline for item in shown if item.deadline is not None]
    assert any(d.overdue for d in open_deadlines)
    assert any(0 <= d.working_days_left <= 2 for d in open_deadlines)
    assert any(o.extensions == 1 for o in filed)
    assert any((tmp_path / "evidence").rglob("*"))
