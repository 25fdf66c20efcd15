"""The demo province has list entries in every state of every list's procedure."""

from __future__ import annotations

from sqlalchemy import select

from api.db import Database
from api.demo import build_demo
from api.settings import Settings
from credit.changelog.models import ChangeLogEntry
from credit.lists import workflow
from credit.lists.models import ListEntry
from credit.subjects.pii import PersonalIdentifiers


async def test_the_demo_has_every_state_of_every_list(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        built = await build_demo(session, PersonalIdentifiers(settings.secret_key), scale=0.04)
    async with db.sessionmaker() as session:
        entries = (await session.execute(select(ListEntry))).scalars().all()
        ops = {row.op for row in (await session.execute(select(ChangeLogEntry))).scalars()}
    for list_name, statuses in workflow.STATUSES.items():
        present = {entry.status for entry in entries if entry.list_name == list_name}
        assert present >= set(statuses), (list_name, set(statuses) - present)
    hospital = [entry for entry in entries if entry.subject_id == built.province.hospital_id]
    assert any(entry.status == "notified" for entry in hospital)
    assert ops >= {"ADD", "DEL"}
