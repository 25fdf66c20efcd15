"""`medcredit import records|metrics FILE`: bulk imports from the command line.

The file is read where it lies (nothing is copied), with a progress bar over its bytes (rows for
Excel, whose compressed size says little). The counts and the first errors are printed; the full
rejected-rows report is written next to the file as `<name>.rejected.csv` (or `--rejected-out`).
Exit status: 0 when the import ran (partial mode may have rejected rows), 1 when all_or_nothing
refused the file, 2 when the file itself is unusable (empty, wrong encoding, missing column).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from api.db import Database
from credit.ingestion import repository, service
from credit.ingestion.formats import MEDIA_TYPE_OF, FileFormat, RowSource, detect_format
from credit.ingestion.models import ImportKind, ImportMode
from credit.ingestion.rejected import lines as rejected_lines
from credit.ingestion.report import ImportReport
from credit.ingestion.targets import TARGETS

SHOWN_ERRORS = 10


@dataclass(frozen=True, slots=True)
class _Done:
    import_id: int
    report: ImportReport
    rejected_file: Path | None


def _progress_bar(file_format: FileFormat) -> Progress:
    from api.cli.main import console  # api.cli.main imports this module while being defined

    columns: tuple[ProgressColumn, ...]
    if file_format is FileFormat.XLSX:
        columns = (TextColumn("{task.description}"), MofNCompleteColumn(), TimeElapsedColumn())
    else:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
        )
    return Progress(*columns, console=console)


async def _write_rejected(
    database: Database, import_id: int, columns: list[str], out: Path
) -> None:
    async with database.sessionmaker() as session:
        with out.open("w", encoding="utf-8", newline="") as handle:
            async for text in rejected_lines(columns, repository.rejections(session, import_id)):
                handle.write(text)


def _run_import(
    kind: ImportKind,
    file: Path,
    mode: str,
    file_format: str,
    encoding: str,
    rejected_out: Path | None,
) -> None:
    from api.cli.main import CLI_ACTOR, run_with_database

    out = rejected_out or file.with_name(f"{file.name}.rejected.csv")
    size = file.stat().st_size

    async def work(database: Database) -> _Done:
        # Inside the database runner, so an unusable file ends with its message, exit 2.
        chosen = detect_format(file) if file_format == "auto" else FileFormat(file_format)
        received = service.ReceivedFile(
            path=file, file_format=chosen, file_name=file.name, media_type=MEDIA_TYPE_OF[chosen]
        )
        by_rows = chosen is FileFormat.XLSX
        with _progress_bar(chosen) as progress:
            task = progress.add_task(f"{kind} from {file.name}", total=None if by_rows else size)

            def update(source: RowSource) -> None:
                progress.update(task, completed=source.rows_read if by_rows else source.bytes_read)

            async with database.transaction() as session:
                outcome = await service.run_import(
                    session,
                    CLI_ACTOR,
                    TARGETS[kind],
                    received,
                    mode=ImportMode(mode),
                    encoding=encoding,
                    on_progress=update,
                )
        batch = outcome.batch
        assert batch.id is not None
        written = None
        if outcome.report.rejected:
            await _write_rejected(database, batch.id, json.loads(batch.columns), out)
            written = out
        return _Done(batch.id, outcome.report, written)

    done = run_with_database(work)
    _print(done, mode)
    if done.report.refused:
        sys.exit(1)


def _print(done: _Done, mode: str) -> None:
    report = done.report
    verdict = "nothing stored (all_or_nothing)" if report.refused else "stored"
    click.echo(
        f"import {done.import_id} ({mode}): created {report.created}, unchanged "
        f"{report.unchanged}, rejected {report.rejected}; {verdict}"
    )
    for error in report.errors[:SHOWN_ERRORS]:
        where = f" [{error.field}: {error.rule}]" if error.field else f" [{error.rule}]"
        click.echo(f"  line {error.line}: {error.message}{where}")
    if len(report.errors) > SHOWN_ERRORS:
        click.echo(f"  … and {len(report.errors) - SHOWN_ERRORS} more")
    if done.rejected_file is not None:
        click.echo(f"rejected rows with their errors: {done.rejected_file}")


def _import_options(command: Callable[..., None]) -> Callable[..., None]:
    options = [
        click.argument(
            "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
        ),
        click.option(
            "--mode",
            type=click.Choice([str(mode) for mode in ImportMode]),
            default=str(ImportMode.PARTIAL),
            show_default=True,
            help="partial stores the good rows; all_or_nothing stores none if any row is bad",
        ),
        click.option(
            "--format",
            "file_format",
            type=click.Choice(["auto", *(str(f) for f in FileFormat)]),
            default="auto",
            show_default=True,
            help="auto: by the file name, else by its first bytes",
        ),
        click.option(
            "--encoding",
            default="utf-8",
            show_default=True,
            help="CSV/NDJSON text encoding: utf-8 or gb18030 (also reads GBK)",
        ),
        click.option(
            "--rejected-out",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            default=None,
            help="where to write the rejected rows [default: FILE.rejected.csv]",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group("import")
def import_group() -> None:
    """Bulk imports of credit information from NDJSON, CSV or Excel .xlsx."""


@import_group.command("records")
@_import_options
def import_records(
    file: Path, mode: str, file_format: str, encoding: str, rejected_out: Path | None
) -> None:
    """Import credit records; `responsible` cells read `20231:principal;20232:important`."""
    _run_import(ImportKind.RECORDS, file, mode, file_format, encoding, rejected_out)


@import_group.command("metrics")
@_import_options
def import_metrics(
    file: Path, mode: str, file_format: str, encoding: str, rejected_out: Path | None
) -> None:
    """Import periodic subject metrics; rates are fractions 0–1 or percentages like 3.5%."""
    _run_import(ImportKind.METRICS, file, mode, file_format, encoding, rejected_out)
