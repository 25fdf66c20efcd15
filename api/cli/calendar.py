"""`medcredit calendar load FILE` and `medcredit calendar deadline START N`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from api.db import Database
from credit.calendar import files, service
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


@calendar.command("deadline")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("days", type=int)
def deadline(start: datetime, days: int) -> None:
    """Print the date DAYS working days after START (START itself not counted).

    A year with no known holiday schedule is counted with weekends only, with a warning.
    """
    from api.cli.main import console, run_with_database  # main imports this module

    async def work(database: Database) -> service.WorkingDate:
        async with database.transaction() as session:
            return await service.add_working_days(session, start.date(), days)

    found = run_with_database(work)
    click.echo(found.date.isoformat())
    if found.warning:
        console.print(f"[yellow]warning:[/yellow] {found.warning}")
