"""The live score is stored with every change, set-based, and only if the change commits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from credit.records import service as records
from indicators import live
from indicators.live import LiveScore
from tests.conftest import AuthHeaders
from tests.indicators.support import OFFICER, add_record, hospital, seed
from tests.indicators.test_points import recent_day


async def _stored(db: Database, subject_id: int) -> LiveScore | None:
    async with db.sessionmaker() as session:
        return await session.get(LiveScore, subject_id)


async def test_a_record_stores_the_new_live_score_in_its_transaction(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    mine = await hospital(db, 1)
    officer, reviewer = await auth_headers("officer"), await auth_headers("reviewer")
    assert await _stored(db, mine) is None  # nothing happened to it yet
    created = await client.post(
        "/api/v1/records",
        json={
            "subject_id": mine,
            "item_code": "ENF-38-SPLIT-ADMISSION",
            "decided_on": recent_day(),
            "source_system": "test",
            "source_ref": "live-1",
        },
        headers=officer,
    )
    assert created.status_code == 201, created.text
    stored = await _stored(db, mine)
    assert stored is not None
    assert (stored.total, stored.grade, stored.profile_code) == (65, "B", "hunan-2024")
    report = (await client.get(f"/api/v1/subjects/{mine}/report", headers=officer)).json()
    assert report["live"]["total"] == "65.00"
    assert report["live"]["computed_at"] is not None

    revoked = await client.post(
        f"/api/v1/records/{created.json()['id']}/revocations",
        json={"reason": "objection upheld"},
        headers=reviewer,
    )
    assert revoked.status_code in (200, 201), revoked.text
    restored = await _stored(db, mine)
    assert restored is not None
    assert restored.total == 70


async def test_a_failed_request_keeps_the_old_live_score(db: Database) -> None:
    await seed(db)
    mine = await hospital(db, 1)
    await add_record(db, mine, "ENF-38-SPLIT-ADMISSION", recent_day(), "kept")
    payload = {
        "subject_id": mine,
        "item_code": "ENF-38-BED-HOLDING",
        "decided_on": recent_day(),
        "source_system": "test",
        "source_ref": "lost",
    }
    seen: list[Decimal | None] = []

    async def fail_after_the_record() -> None:
        async with db.transaction() as session:
            await records.submit(session, OFFICER, payload)
            inside = await session.get(LiveScore, mine, populate_existing=True)
            seen.append(inside.total if inside else None)
            raise RuntimeError("the request failed after the record")

    with pytest.raises(RuntimeError):
        await fail_after_the_record()
    assert seen == [60]  # both records, inside the failed transaction
    stored = await _stored(db, mine)
    assert stored is not None
    assert stored.total == 65  # the first record only


class CountingStatements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: object) -> None:
        self.count += 1


async def test_refreshing_many_subjects_costs_a_handful_of_statements(db: Database) -> None:
    await seed(db)
    subjects = [await hospital(db, number) for number in range(1, 41)]
    for index, subject in enumerate(subjects[:10]):
        await add_record(db, subject, "ENF-38-SPLIT-ADMISSION", recent_day(), f"r{index}")
    async with db.transaction() as session:
        counter = CountingStatements()
        sync_engine = session.bind.sync_engine if hasattr(session.bind, "sync_engine") else None
        assert sync_engine is not None
        from sqlalchemy import event

        event.listen(sync_engine, "before_cursor_execute", counter)
        try:
            stored = await live.refresh(session, subjects)
        finally:
            event.remove(sync_engine, "before_cursor_execute", counter)
        rows = await _count(session)
    assert stored == rows == 40
    assert counter.count <= 12  # sets, subjects, one aggregate pass, rule names, delete, insert


async def _count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(LiveScore))).scalar_one())
