"""Prebuilt statements run the same through a session (SQLite, PostgreSQL) and straight on an
asyncpg connection (PostgreSQL), and fail with the same exceptions."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from api.db import Database
from credit.accounts.models import ApiKey
from credit.kernel.clock import utcnow
from credit.kernel.statements import DriverStatements, SessionStatements, among, prepare_connection

KEYS = ApiKey.__table__  # type: ignore[attr-defined]
BY_PREFIXES = {
    dialect: select(KEYS.c.prefix, KEYS.c.scopes).where(condition).order_by(KEYS.c.prefix)
    for dialect, condition in among(KEYS.c.prefix, "prefixes").items()
}


async def _keys(db: Database) -> None:
    async with db.transaction() as session:
        await SessionStatements(session).insert_many(
            KEYS.insert(),
            [
                {"agency": "甲", "prefix": prefix, "key_hash": "x" * 64, "scopes": "verify",
                 "rate_limit_per_minute": 60, "created_at": _now(), "created_by": "test"}
                for prefix in ("aaaa", "bbbb", "cccc")
            ],
        )  # fmt: skip


def _now() -> datetime:
    return utcnow()


async def test_the_same_statement_answers_alike_on_both_paths(db: Database) -> None:
    await _keys(db)
    async with db.transaction() as session:
        by_session = SessionStatements(session)
        found = await by_session.rows(
            BY_PREFIXES[by_session.dialect], {"prefixes": ["cccc", "aaaa"]}
        )
    assert [(row["prefix"], row["scopes"]) for row in found] == [
        ("aaaa", "verify"),
        ("cccc", "verify"),
    ]
    if not db.url.startswith("postgresql"):
        return
    connection = await asyncpg.connect(db.url.replace("+asyncpg", ""))
    try:
        await prepare_connection(connection)
        driver = DriverStatements(connection)
        direct = await driver.rows(BY_PREFIXES["postgresql"], {"prefixes": ["cccc", "aaaa"]})
        assert [(row["prefix"], row["scopes"]) for row in direct] == [
            ("aaaa", "verify"), ("cccc", "verify"),
        ]  # fmt: skip
        with pytest.raises(IntegrityError):  # the prefix is unique
            await driver.insert_many(
                KEYS.insert(),
                [{"agency": "乙", "prefix": "aaaa", "key_hash": "y" * 64, "scopes": "verify",
                  "rate_limit_per_minute": 60, "created_at": _now(), "created_by": "test"}],
            )  # fmt: skip
    finally:
        await connection.close()
    with pytest.raises(OperationalError):  # a lost connection answers 503, as through a session
        await driver.rows(BY_PREFIXES["postgresql"], {"prefixes": ["aaaa"]})
