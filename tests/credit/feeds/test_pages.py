"""On PostgreSQL the database writes a change page's JSON itself: byte for byte the page the
code writes from the rows (which SQLite, and readers with `pii`, get)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import text

from api.db import Database
from credit.changelog.models import FeedStream
from credit.feeds import changes
from credit.kernel.statements import SessionStatements
from credit.lists.models import RemovalReason
from credit.policy.vocabulary import ListName
from tests.credit.feeds.support import institution, physician, put_on, seed, take_off


async def test_the_database_writes_the_page_the_code_would(db: Database) -> None:
    if not db.url.startswith("postgresql"):
        pytest.skip("only PostgreSQL writes pages itself")
    await seed(db)
    first = await put_on(db, ListName.BLACK, await institution(db, 1, "长沙仁和医院"))
    await put_on(db, ListName.BLACK, await physician(db, 2, "陈伟"))
    await take_off(db, ListName.BLACK, first, RemovalReason.REPAIRED)
    async with db.transaction() as session:
        # A change at a whole second: Python's isoformat then writes no fraction.
        whole = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
        await session.execute(
            text(
                "UPDATE change_log SET occurred_at = :at "
                "WHERE seq = (SELECT min(seq) FROM change_log)"
            ),
            {"at": whole},
        )
    async with db.transaction() as session:
        statements = SessionStatements(session)
        for after, limit in ((0, 1000), (0, 2), (1, 1), (99, 10)):
            by_database = await changes.assembled_page(statements, FeedStream.BLACK, after, limit)
            by_code = await changes._built_page(
                statements, FeedStream.BLACK, after, limit, None, None
            )
            assert by_database == by_code, (after, limit)
        whole_page = await changes.assembled_page(statements, FeedStream.BLACK, 0, 1000)
    page = orjson.loads(whole_page.content)
    assert [change["op"] for change in page["changes"]] == ["ADD", "ADD", "DEL"]
    assert page["changes"][0]["at"] == "2026-03-02T09:30:00+00:00"
    assert "." in page["changes"][1]["at"]
