"""`medcredit simulate`: evaluate a set version against a baseline run and print the matrix."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from api.db import Database
from credit.kernel.actor import Actor, Role
from indicators import simulation
from indicators.models import Simulation

CLI_ACTOR = Actor(role=Role.OFFICER, name="cli")


@click.command("simulate")
@click.option("--name", required=True, help="a unique name to save the simulation under")
@click.option("--baseline", "baseline_run_id", required=True, type=int, help="baseline run id")
@click.option("--set-id", required=True, type=int, help="the set version to try (a draft too)")
def simulate(name: str, baseline_run_id: int, set_id: int) -> None:
    """Simulate a set version over a baseline run's data; saved, never published."""
    from api.cli.main import run_with_database  # main imports this module

    async def work(database: Database) -> Simulation:
        async with database.transaction() as session:
            return await simulation.simulate(
                session, CLI_ACTOR, name=name, baseline_run_id=baseline_run_id, set_id=set_id
            )

    saved = run_with_database(work)
    grades = sorted({g for row in saved.transition_matrix.values() for g in row})
    table = Table(title=f"simulation {saved.id} “{saved.name}”: {saved.population} subjects")
    table.add_column("baseline → simulated")
    for grade in grades:
        table.add_column(grade, justify="right")
    for old, row in saved.transition_matrix.items():
        table.add_row(old, *(str(row.get(grade, 0)) for grade in grades))
    console = Console()
    console.print(table)
    before, after = saved.baseline_distribution, saved.simulated_distribution
    console.print(f"mean {before['mean']} → {after['mean']}; grade changed: {saved.changed_count}")
