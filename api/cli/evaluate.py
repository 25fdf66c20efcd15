"""`medcredit evaluate`: compute an evaluation cycle with a progress bar and print grade counts."""

from __future__ import annotations

from datetime import datetime

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.db import Database
from credit.kernel.actor import Actor, Role
from indicators import repository, runs, sets
from indicators.runs import RunRequest

CLI_ACTOR = Actor(role=Role.OFFICER, name="cli")
console = Console(stderr=True)


def _split(values: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (values or "").split(",") if part.strip())


@click.command("evaluate")
@click.option("--cycle", required=True, help="2025, 2026Q3 or 2026-03")
@click.option("--profile", "profile_code", default=None, help="use this profile's active sets")
@click.option("--kinds", default=None, help="comma-separated subject kinds")
@click.option("--regions", default=None, help="comma-separated GB/T 2260 codes")
@click.option("--set-id", "set_ids", multiple=True, type=int, help="an indicator set version")
@click.option("--as-of", type=click.DateTime(), default=None, help="ISO time, UTC; now if omitted")
def evaluate(
    cycle: str,
    profile_code: str | None,
    kinds: str | None,
    regions: str | None,
    set_ids: tuple[int, ...],
    as_of: datetime | None,
) -> None:
    """Evaluate a cycle (the run waits in `computed` for review and publication)."""
    from api.cli.main import run_with_database  # main imports this module

    request = RunRequest(
        cycle=cycle,
        as_of=as_of.replace(tzinfo=as_of.tzinfo or datetime.now().astimezone().tzinfo)
        if as_of
        else None,
        set_ids=set_ids,
        profile_code=profile_code,
        kinds=_split(kinds),
        regions=_split(regions),
    )

    async def work(database: Database) -> tuple[int, int, dict[str, int]]:
        async with database.transaction() as session:
            await sets.ensure_default_sets(session)
        async with database.transaction() as session:
            columns = (
                TextColumn("evaluating {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as progress:
                task = progress.add_task(cycle, total=None)
                run = await runs.start(
                    session,
                    CLI_ACTOR,
                    request,
                    on_progress=lambda done, total: progress.update(
                        task, completed=done, total=total
                    ),
                )
            assert run.id is not None
            counts = await repository.grade_counts(session, run.id)
            return run.id, run.subjects_evaluated, counts

    run_id, evaluated, counts = run_with_database(work)
    table = Table(title=f"evaluation run {run_id}: {evaluated} subjects, cycle {cycle}")
    table.add_column("grade")
    table.add_column("subjects", justify="right")
    for grade in sorted(counts):
        table.add_row(grade, str(counts[grade]))
    Console().print(table)
