"""`medcredit policy …`: list, show, validate, draft and activate policy packs.

The command line has no login and no second person, so it acts for named admin accounts:
`activate` needs `--approved-by`, an active admin who did not create, edit or submit the
version (four-eyes); a version still in draft is first submitted as `--submitted-by`, another
active admin. The audit log records both names.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click
import yaml
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from credit.accounts import repository as accounts
from credit.kernel.actor import Actor, Role
from credit.kernel.errors import InvalidInput
from credit.policy import regime, service
from credit.policy.document import PolicyDocumentInvalid, document_dict
from credit.policy.loader import load_pack_file
from credit.policy.models import PackStatus, PackVersion
from credit.policy.national import NationalPack

T = TypeVar("T")
CLI_REASON = "via the command line"


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    # Imported here: api.cli.main imports this module while it is still being defined.
    from api.cli.main import run_with_database

    return run_with_database(work)


async def _admin(session: AsyncSession, username: str, option: str) -> Actor:
    """The actor of an active admin account, named by an option of the command."""
    account = await accounts.account_by_username(session, username.strip().lower())
    if account is None or not account.active or account.role != Role.ADMIN:
        raise InvalidInput(
            f"{option} must name an active admin account; {username} is not one",
            field=option,
            rule="admin_account",
        )
    return Actor(role=Role.ADMIN, name=account.username, account_id=account.id)


def _print_problems(invalid: PolicyDocumentInvalid) -> None:
    for problem in invalid.problems:
        click.echo(invalid.describe(problem), err=True)


@click.group("policy")
def policy() -> None:
    """Policy packs: versioned rules (periods, points, deadlines, lists, catalog)."""


@policy.command("list")
@click.option("--status", type=click.Choice([str(status) for status in PackStatus]))
@click.option("--code", default=None)
def list_packs(status: str | None, code: str | None) -> None:
    """Every pack version, oldest first."""

    async def work(database: Database) -> list[PackVersion]:
        async with database.sessionmaker() as session:
            chosen = PackStatus(status) if status else None
            return list(await regime.versions(session, limit=500, status=chosen, code=code))

    table = Table("title")
    # The identifying columns never wrap; the title gives way on a narrow terminal.
    for position, heading in enumerate(("id", "code", "version", "status", "from", "approved by")):
        table.columns.insert(position, Column(heading, no_wrap=True))
    for row in _run(work):
        table.add_row(
            str(row.id),
            row.code,
            str(row.version),
            row.status,
            row.effective_from.isoformat(),
            row.approved_by or "",
            row.title,
        )
    Console().print(table)


@policy.command("show")
@click.argument("code")
@click.option("--version", "number", type=int, default=None, help="default: the one in force")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None)
def show(code: str, number: int | None, on: datetime | None) -> None:
    """A version's header and document (YAML); by default the version in force today."""

    async def work(database: Database) -> PackVersion:
        async with database.sessionmaker() as session:
            if number is not None:
                return await service.version_by_number(session, code, number)
            if on is not None:
                return await regime.regime_at(session, code, on.date())
            return await regime.current(session, code)

    version = _run(work)
    click.echo(f"# {version.code} version {version.version}: {version.title}")
    click.echo(f"# status {version.status}, effective from {version.effective_from}")
    click.echo(f"# sha256 {version.sha256}")
    document = document_dict(version.document)
    click.echo(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), nl=False)


@policy.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check pack files; exit 1 listing file, path and rule of every problem."""
    failed = False
    for path in files:
        try:
            pack = load_pack_file(path)
        except PolicyDocumentInvalid as invalid:
            failed = True
            _print_problems(invalid)
            continue
        extra = (
            f", {len(pack.document.catalog)} catalog items"
            if isinstance(pack.document, NationalPack)
            else ""
        )
        click.echo(f"{path}: valid {pack.document.kind} pack {pack.code}{extra}")
    if failed:
        sys.exit(1)


@policy.command("draft")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--created-by", required=True, help="the admin account authoring the draft")
def draft(file: Path, created_by: str) -> None:
    """Create a draft version from a pack file."""
    try:
        pack = load_pack_file(file)
    except PolicyDocumentInvalid as invalid:
        _print_problems(invalid)
        sys.exit(1)

    async def work(database: Database) -> PackVersion:
        async with database.transaction() as session:
            author = await _admin(session, created_by, "created_by")
            return await service.create_draft(
                session,
                author,
                code=pack.code,
                title=pack.title,
                effective_from=pack.effective_from,
                document=pack.document.model_dump(mode="json"),
            )

    version = _run(work)
    click.echo(f"draft {version.code} version {version.version} created (id {version.id})")


@policy.command("activate")
@click.argument("code")
@click.option("--version", "number", type=int, required=True)
@click.option("--approved-by", required=True, help="an admin other than the author/submitter")
@click.option("--submitted-by", default=None, help="needed while the version is a draft")
def activate(code: str, number: int, approved_by: str, submitted_by: str | None) -> None:
    """Approve a version (submitting a draft first); four-eyes holds between the two admins."""

    async def work(database: Database) -> PackVersion:
        async with database.transaction() as session:
            version = await service.version_by_number(session, code, number)
            assert version.id is not None
            approver = await _admin(session, approved_by, "approved_by")
            if version.status == PackStatus.DRAFT:
                if submitted_by is None:
                    raise InvalidInput(
                        f"{code} version {number} is a draft: name its submitter with "
                        "--submitted-by (an admin other than the approver)",
                        field="submitted_by",
                        rule="required_for_draft",
                    )
                submitter = await _admin(session, submitted_by, "submitted_by")
                await service.submit(session, submitter, version.id, reason=CLI_REASON)
            return await service.approve(session, approver, version.id, reason=CLI_REASON)

    version = _run(work)
    click.echo(
        f"{version.code} version {version.version} active from {version.effective_from} "
        f"(approved by {version.approved_by})"
    )


@policy.command("load-defaults")
def load_defaults() -> None:
    """Activate each shipped default pack whose code has no version yet (idempotent)."""

    async def work(database: Database) -> list[PackVersion]:
        async with database.transaction() as session:
            return await service.ensure_defaults(session)

    loaded = _run(work)
    for version in loaded:
        click.echo(f"activated {version.code} version {version.version}")
    if not loaded:
        click.echo("every shipped pack has a version already; nothing loaded")
