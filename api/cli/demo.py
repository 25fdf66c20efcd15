"""`medcredit demo`: fill an empty database with the demo province and print how to log in."""

from __future__ import annotations

import time
from dataclasses import dataclass

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.db import Database
from api.demo import (
    DEFAULT_SEED,
    DemoBuilt,
    DemoLogin,
    build_demo,
    existing_demo_logins,
    has_subjects,
)
from api.demo.logins import PARTNER_AGENCY, PARTNER_SCOPES
from api.settings import get_settings
from credit.kernel.actor import Actor, Role
from credit.subjects.kinds import registry
from credit.subjects.pii import PersonalIdentifiers

DEMO_ACTOR = Actor(role=Role.SYSTEM, name="cli:demo")


@dataclass(frozen=True, slots=True)
class _Outcome:
    built: DemoBuilt | None  # None when the database held subjects already
    logins: list[DemoLogin]
    seconds: float = 0.0


@click.command()
@click.option(
    "--if-empty",
    is_flag=True,
    help="If the database holds subjects already, generate nothing and print the demo logins.",
)
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.001, max=50),
    help="1.0 is ~300 institutions, ~200 pharmacies, ~3,900 staff, 5,000 insured persons.",
)
def demo(if_empty: bool, seed: int, scale: float) -> None:
    """Build a synthetic Hunan province with one demo account per role and a partner key."""
    # Imported here: api.cli.main imports this module while it is still being defined.
    from api.cli.main import console, run_with_database

    settings = get_settings()
    pii = PersonalIdentifiers(settings.secret_key)

    async def work(database: Database) -> _Outcome:
        started = time.perf_counter()
        async with database.transaction() as session:
            if await has_subjects(session):
                return _Outcome(None, await existing_demo_logins(session))
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as progress:
                task = progress.add_task("planning the province", total=None)

                def advance(step: str, rows: int, total: int) -> None:
                    done = "registering subjects" if step == "planned" else f"wrote {step}"
                    progress.update(task, total=total, advance=rows, description=done)

                built = await build_demo(
                    session,
                    pii,
                    seed=seed,
                    scale=scale,
                    partner_rate_limit=settings.api_key_rate_limit_per_minute,
                    actor=DEMO_ACTOR,
                    on_progress=advance,
                    evidence_dir=settings.var_dir / "evidence",
                )
        return _Outcome(built, built.logins, time.perf_counter() - started)

    outcome = run_with_database(work)
    if outcome.built is None:
        if not if_empty:
            raise click.ClickException(
                "the database already holds subjects; the demo only fills an empty database "
                "(--if-empty prints the demo logins instead)"
            )
        click.echo("The database already holds subjects; no demo data generated.")
        _print_logins(outcome.logins)
        click.echo(
            "The demo partner API key was printed when the demo was built and is stored only "
            "as a hash, so it cannot be shown again; issue a new one with "
            "`medcredit api-keys create`."
        )
        return
    _print_counts(outcome.built, seed, scale, outcome.seconds)
    _print_logins(outcome.logins)
    click.echo(
        f"Partner API key for {PARTNER_AGENCY} ({', '.join(PARTNER_SCOPES)}); "
        "store it now, it is not shown again:"
    )
    click.echo(outcome.built.partner_key)


def _print_counts(built: DemoBuilt, seed: int, scale: float, seconds: float) -> None:
    kinds = registry()
    click.echo(f"Demo province built in {seconds:.1f} s (seed {seed}, scale {scale:g}):")
    for kind, count in built.province.counts.items():
        label = kinds[kind].zh if kind in kinds else "执业地点"
        click.echo(f"  {kind:<20} {count:>6}  {label}")
    by_category = ", ".join(f"{category} {n}" for category, n in sorted(built.records.items()))
    click.echo(f"Credit records (2025-01 to 2026-10): {built.record_count} ({by_category})")


def _print_logins(logins: list[DemoLogin]) -> None:
    if not logins:
        click.echo("No demo accounts exist in this database.")
        return
    click.echo("Demo logins (fixed demo passwords: never use this database for real data):")
    for login in logins:
        click.echo(f"  {login.username:<16} {login.password:<22} {login.label}")
