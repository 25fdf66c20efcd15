"""Run `medcredit` commands in this process, stopping at a named point for the test to SIGKILL it.

    python -m tests.reliability.crashpoint [--at POINT] [--set module.NAME=int] -- ARGS [--and ARGS]

ARGS are what follows `medcredit` on a command line (`import records FILE`, `audit verify`), or
`approve-repair ID` (a reviewer approves a repair in one transaction, as the API route does).
POINT is where the process announces `CRASHPOINT <point>` on stdout and then waits to be killed:

- `commit#N`: just before the N-th session commit (all the work written, nothing committed);
- `committed#N`: just after the N-th commit;
- `call:package.module:Name.attr#N`: just after the N-th call of that coroutine function returns.

Nothing else differs from the installed command: the same click group runs the same code. After
each command `EXIT <code>` is printed; the process exits with the first non-zero code.
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli.main import cli, run_with_database
from api.db import Database
from credit.kernel.actor import Actor, Role
from repair import repairs
from repair.schemas import RepairTransition

# Whoever approves in the crash tests: not the officer who accepted the request (four eyes).
APPROVER = Actor(role=Role.REVIEWER, name="reviewer-crash")


def _reached(point: str) -> None:
    sys.stdout.write(f"CRASHPOINT {point}\n")
    sys.stdout.flush()
    # Blocking the event loop on purpose: the transaction stays open, exactly where it is.
    time.sleep(600)
    raise SystemExit("crash point reached but the test never killed this process")


def _counting(point: str, nth: int, before: bool, call: Callable[..., Awaitable[Any]]) -> Any:
    calls = {"n": 0}

    @functools.wraps(call)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if before and calls["n"] == nth:
            _reached(point)
        result = await call(*args, **kwargs)
        if not before and calls["n"] == nth:
            _reached(point)
        return result

    return wrapper


def _resolve(dotted: str) -> tuple[Any, str]:
    """`package.module:Name.attr` → (the object holding `attr`, "attr")."""
    module_name, _, path = dotted.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, attr = path.split(".")
    for name in parents:
        owner = getattr(owner, name)
    return owner, attr


def install(point: str) -> None:
    where, _, count = point.partition("#")
    nth = int(count or "1")
    if where in ("commit", "committed"):
        original = AsyncSession.commit
        AsyncSession.commit = _counting(point, nth, where == "commit", original)  # type: ignore[method-assign]
        return
    if not where.startswith("call:"):
        raise SystemExit(f"unknown crash point {point!r}")
    owner, attr = _resolve(where.removeprefix("call:"))
    setattr(owner, attr, _counting(point, nth, False, getattr(owner, attr)))


def _approve_repair(repair_id: int) -> None:
    async def work(database: Database) -> str:
        async with database.transaction() as session:
            step = RepairTransition.model_validate({"to": "approved", "reason": "整改到位"})
            repair = await repairs.move(session, APPROVER, repair_id, step)
            return str(repair.status)

    click.echo(f"repair {repair_id}: {run_with_database(work)}")


def _run(args: list[str]) -> int:
    try:
        if args[:1] == ["approve-repair"]:
            _approve_repair(int(args[1]))
        else:
            cli.main(args, prog_name="medcredit", standalone_mode=False)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1
    except click.ClickException as error:
        error.show()
        return error.exit_code
    return 0


def main(argv: list[str]) -> int:
    separator = argv.index("--")
    options, commands = argv[:separator], argv[separator + 1 :]
    while options:
        flag, value, *options = options
        if flag == "--at":
            install(value)
        elif flag == "--set":
            name, _, number = value.partition("=")
            owner, attr = _resolve(name)
            setattr(owner, attr, int(number))
        else:
            raise SystemExit(f"unknown option {flag}")
    first_failure = 0
    while commands:
        cut = commands.index("--and") if "--and" in commands else len(commands)
        code = _run(commands[:cut])
        sys.stdout.write(f"EXIT {code}\n")
        sys.stdout.flush()
        first_failure = first_failure or code
        commands = commands[cut + 1 :]
    return first_failure


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
