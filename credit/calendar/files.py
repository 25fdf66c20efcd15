"""Schedule files (YAML or JSON) and the schedules shipped with medcredit."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.calendar import repository, service
from credit.calendar.schemas import CalendarYearPublic, ScheduleFile, ScheduleInput
from credit.kernel.actor import Actor
from credit.kernel.errors import InvalidInput

SUFFIXES = (".yaml", ".yml", ".json")


def parse_schedule(text: str, *, json_format: bool) -> ScheduleFile:
    """A schedule from a file's text; InvalidInput names the field that is wrong."""
    try:
        content: Any = json.loads(text) if json_format else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InvalidInput(f"not readable: {error}", field="file", rule="syntax") from None
    if not isinstance(content, dict):
        raise InvalidInput(
            "a schedule file holds year, holidays and workdays", field="file", rule="mapping"
        )
    try:
        parsed = ScheduleFile.model_validate(content)
    except ValidationError as error:
        problem = error.errors()[0]
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"]
        ).lstrip(".")
        raise InvalidInput(
            f"{where}: {problem['msg']}", field=where, rule=problem["type"]
        ) from None
    service.check_schedule(parsed.year, parsed)
    return parsed


def read_schedule(path: Path) -> ScheduleFile:
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput(
            f"{path.name} is not a .yaml, .yml or .json file", field="file", rule="format"
        )
    return parse_schedule(
        path.read_text(encoding="utf-8"), json_format=path.suffix.lower() == ".json"
    )


async def load_file(session: AsyncSession, actor: Actor, path: Path) -> CalendarYearPublic:
    parsed = read_schedule(path)
    schedule = ScheduleInput(
        holidays=parsed.holidays, workdays=parsed.workdays, source=parsed.source
    )
    return await service.load_year(session, actor, parsed.year, schedule)


def shipped_schedules() -> list[ScheduleFile]:
    """The official schedules that ship inside this package (schedules/<year>.yaml)."""
    folder = resources.files("credit.calendar") / "schedules"
    return [
        parse_schedule(entry.read_text(encoding="utf-8"), json_format=False)
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith(".yaml")
    ]


async def ensure_shipped(session: AsyncSession, actor: Actor) -> list[int]:
    """Load each shipped year not loaded yet (a regulator's own load is never overwritten)."""
    loaded = []
    for parsed in shipped_schedules():
        if await repository.get_year(session, parsed.year) is not None:
            continue
        schedule = ScheduleInput(
            holidays=parsed.holidays, workdays=parsed.workdays, source=parsed.source
        )
        await service.load_year(session, actor, parsed.year, schedule)
        loaded.append(parsed.year)
    return loaded
