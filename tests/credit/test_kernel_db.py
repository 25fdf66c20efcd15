"""The engine's transaction semantics hold on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.db import Database


async def test_a_released_savepoint_rolls_back_with_its_transaction(db: Database) -> None:
    async def write_then_fail() -> None:
        async with db.transaction() as session:
            async with session.begin_nested():
                await session.execute(
                    text(
                        "INSERT INTO login_throttle (username, failures, updated_at) "
                        "VALUES ('savepoint-probe', 1, CURRENT_TIMESTAMP)"
                    )
                )
            raise RuntimeError("the outer change fails after the savepoint was released")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    async with db.sessionmaker() as session:
        left = await session.execute(
            text("SELECT count(*) FROM login_throttle WHERE username = 'savepoint-probe'")
        )
    assert left.scalar_one() == 0
