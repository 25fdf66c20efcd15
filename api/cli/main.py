"""The `medcredit` command line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from api.cli.backup import backup, restore
from api.cli.calendar import calendar
from api.cli.demo import demo
from api.cli.evaluate import evaluate
from api.cli.imports import import_group
from api.cli.policy import policy
from api.cli.simulate import simulate
from api.db import Database
from api.jobs import registry
from api.jobs.runner import JobRunner
from api.jobs.scheduler import serve_forever
from api.migrate import upgrade
from api.settings import get_settings
from credit.accounts import api_keys
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.audit import service as audit
from credit.calendar import files as calendar_files
from credit.kernel.actor import SYSTEM_ACTOR, Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import DomainError
from credit.lists.sweep import sweep_lists
from credit.measures.service import sweep_measures
from credit.policy import service as policy_service
from credit.records.publication import sweep_publication
from indicators import sets as indicator_sets

T = TypeVar("T")
console = Console(stderr=True)
CLI_ACTOR = Actor(role=Role.ADMIN, name="cli")


def run_with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the configured database and close the engine afterwards."""

    async def main() -> T:
        database = Database(get_settings().database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        where = f" ({error.field}: {error.rule})" if error.field else ""
        console.print(f"[red]error:[/red] {error.message}{where}")
        sys.exit(2)
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            console.print(f"[red]error:[/red] {field}: {problem['msg']}")
        sys.exit(2)


@click.group()
def cli() -> None:
    """medcredit: credit management for a medical-security regulator."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and the JSON API (and the scheduler, when it is embedded)."""
    if workers > 1 and get_settings().scheduler == "embedded":
        # Each worker would start its own scheduler; the job_run claim would keep the sweeps
        # single, but one scheduler process is the supported layout.
        os.environ["MEDCREDIT_SCHEDULER"] = "off"
        console.print(
            "scheduler not embedded with several workers: run `medcredit scheduler` beside them"
        )
    uvicorn.run(
        "api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        # uvicorn kills a worker that does not answer its supervisor's ping in time (5 s by
        # default): on a busy machine a starting worker, still importing the app, missed it
        # and was killed and restarted (bench/load.py saw it).
        timeout_worker_healthcheck=30,
    )


@cli.command()
@click.option("--once", is_flag=True, help="run the jobs due now (catching up) and exit")
def scheduler(once: bool) -> None:
    """Run the scheduled sweeps (one process per deployment; a second one is harmless)."""
    settings = get_settings()
    if not once:
        asyncio.run(serve_forever(settings))
        return

    async def work(database: Database) -> list[str]:
        runner = JobRunner(database, settings, registry.jobs(settings))
        done = await runner.run_due(utcnow())
        return [f"{run.job} ({run.trigger}): {run.status}, {run.message}" for run in done]

    for line in run_with_database(work) or ["no job is due"]:
        click.echo(line)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database to the newest schema (or to --revision)."""
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")
    if revision != "head":
        return

    async def load_policy(database: Database) -> list[str]:
        async with database.transaction() as session:
            loaded = await policy_service.ensure_defaults(session)
            await indicator_sets.ensure_default_sets(session)
            years = await calendar_files.ensure_shipped(session, SYSTEM_ACTOR)
            packs = [f"default policy pack activated: {v.code} v{v.version}" for v in loaded]
            return packs + [f"official holiday schedule loaded: {year}" for year in years]

    for line in run_with_database(load_policy):
        click.echo(line)


@cli.group("accounts")
def accounts_group() -> None:
    """User accounts."""


@accounts_group.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["admin", "officer", "reviewer", "subject"])
)
@click.option("--subject-id", type=int, default=None)
@click.option("--display-name", default="")
def accounts_create(
    username: str, password: str, role: str, subject_id: int | None, display_name: str
) -> None:
    """Create an account (a subject account needs --subject-id)."""

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            new = AccountCreate(
                username=username,
                password=password,
                role=Role(role),
                subject_id=subject_id,
                display_name=display_name,
            )
            account = await accounts.create_account(session, CLI_ACTOR, new)
            assert account.id is not None
            return account.id

    account_id = run_with_database(work)
    click.echo(f"account {account_id} created: {username} ({role})")


@cli.group("api-keys")
def api_keys_group() -> None:
    """Partner API keys."""


@api_keys_group.command("create")
@click.option("--agency", required=True)
@click.option("--scopes", required=True, help="comma-separated, e.g. feed:black,verify")
@click.option("--rate-limit", type=int, default=None, help="calls a minute")
@click.option("--agency-code", default=None, help="implementing agency code, e.g. tax_authority")
def api_keys_create(
    agency: str, scopes: str, rate_limit: int | None, agency_code: str | None
) -> None:
    """Issue a key; it is printed once, alone on the last line."""

    async def work(database: Database) -> tuple[str, str]:
        async with database.transaction() as session:
            key, plain = await api_keys.create(
                session,
                CLI_ACTOR,
                agency=agency,
                agency_code=agency_code,
                scopes=scopes.split(","),
                rate_limit_per_minute=rate_limit or get_settings().api_key_rate_limit_per_minute,
            )
            return key.prefix, plain

    prefix, plain = run_with_database(work)
    click.echo(f"API key {prefix} for {agency}; store it now, it is not shown again:")
    click.echo(plain)


@cli.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit non-zero naming the first broken event."""

    async def work(database: Database) -> audit.ChainReport:
        async with database.sessionmaker() as session:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("verifying audit chain", total=None)
                return await audit.verify(
                    session, on_progress=lambda n: progress.update(task, completed=n)
                )

    report = run_with_database(work)
    if report.intact:
        click.echo(f"audit chain intact: {report.checked} events")
        return
    click.echo(f"audit chain broken at event {report.first_broken_seq}: {report.problem}")
    sys.exit(1)


@cli.group("sweep")
def sweep_group() -> None:
    """Idempotent periodic jobs; running one twice or late does the right thing once."""


@sweep_group.command("publication")
def sweep_publication_command() -> None:
    """End publication of every record whose publication period is over; print how many."""

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            return await sweep_publication(session, SYSTEM_ACTOR, business_today())

    expired = run_with_database(work)
    click.echo(f"publication ended for {expired} record(s)")


@sweep_group.command("lists")
def sweep_lists_command() -> None:
    """Remove every list entry whose validity ended (reason `expired`); print how many."""

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            return await sweep_lists(session, business_today())

    removed = run_with_database(work)
    click.echo(f"list entries expired: {removed}")


@sweep_group.command("measures")
def sweep_measures_command() -> None:
    """End every measure assignment whose duration ran out; print how many."""

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            return await sweep_measures(session, business_today())

    ended = run_with_database(work)
    click.echo(f"measure assignments ended: {ended}")


cli.add_command(backup)
cli.add_command(restore)
cli.add_command(calendar)
cli.add_command(demo)
cli.add_command(evaluate)
cli.add_command(simulate)
cli.add_command(import_group)
cli.add_command(policy)
