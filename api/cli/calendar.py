"""`medcredit calendar load FILE`: load a year's official holiday schedule."""

from __future__ import annotations

from pathlib import Path

import click

from api.db import Database
from credit.calendar import files
from credit.calendar.schemas import CalendarYearPublic
from credit.kernel.actor import Actor, Role

CLI_ACTOR = Actor(role=Role.ADMIN, name="cli")


@click.group("calendar")
def calendar() -> None:
    """The working-day calendar (statutory holidays and make-up workdays)."""


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(file: Path) -> None:
    """Load FILE (YAML or JSON: year, holidays, workdays); it overrides the package's year."""
    from api.cli.main import run_with_database  # main imports this module

    async def work(database: Database) -> CalendarYearPublic:
        async with database.transaction() as session:
            return await files.load_file(session, CLI_ACTOR, file)

    loaded = run_with_database(work)
    click.echo(
        f"calendar {loaded.year} loaded: {len(loaded.holidays)} holidays, "
        f"{len(loaded.workdays)} make-up workdays, {loaded.working_days} working days"
    )
