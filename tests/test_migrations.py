"""One migration history for both databases: it upgrades, downgrades, and matches the models."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect

from api.db import Database, metadata
from api.migrate import alembic_config, downgrade, head_revision, upgrade


async def _tables(url: str) -> set[str]:
    database = Database(url)
    async with database.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await database.dispose()
    return names


async def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_database_url)
    assert set(metadata.tables) <= await _tables(empty_database_url)

    await asyncio.to_thread(downgrade, empty_database_url, "base")
    assert await _tables(empty_database_url) <= {"alembic_version"}

    await asyncio.to_thread(upgrade, empty_database_url)
    assert set(metadata.tables) <= await _tables(empty_database_url)


async def test_models_and_migrations_do_not_drift(empty_database_url: str) -> None:
    """`alembic check`: autogenerate finds nothing to add after upgrading to head."""
    assert head_revision() is not None
    await asyncio.to_thread(upgrade, empty_database_url)
    await asyncio.to_thread(command.check, alembic_config(empty_database_url))
