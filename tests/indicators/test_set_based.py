"""The computation is set-based: statements per run depend on chunks, never on subjects."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from api.db import Database
from credit.kernel.errors import InvalidInput
from indicators import runs
from indicators.cycles import parse_cycle
from indicators.runs import RunRequest
from tests.indicators.support import OFFICER, add_record, hospital, hunan_set_id, seed


async def _statements_for_run(db: Database, set_id: int) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.transaction() as session:
            await runs.start(session, OFFICER, RunRequest(cycle="2025", set_ids=(set_id,)))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return len(seen)


async def test_statement_count_does_not_grow_with_subjects(db: Database) -> None:
    await seed(db)
    set_id = await hunan_set_id(db)
    first = await hospital(db, 1)
    await add_record(db, first, "MON-SPLIT-CHARGE", "2025-03-01", "r0")
    few = await _statements_for_run(db, set_id)
    for number in range(2, 12):
        subject = await hospital(db, number)
        await add_record(db, subject, "ENF-38-SPLIT-ADMISSION", "2025-04-01", f"r{number}")
    many = await _statements_for_run(db, set_id)
    assert many == few


@pytest.mark.parametrize(
    ("code", "start", "end", "zh", "en"),
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "2025年度", "2025"),
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31), "2026年第1季度", "2026 Q1"),
        ("2024Q4", date(2024, 10, 1), date(2024, 12, 31), "2024年第4季度", "2024 Q4"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024年2月", "February 2024"),
    ],
)
def test_cycles_and_their_words(code: str, start: date, end: date, zh: str, en: str) -> None:
    cycle = parse_cycle(code, date(2026, 11, 23))
    assert (cycle.start, cycle.end) == (start, end)
    assert cycle.describe(None) == (zh, en)


def test_window_months_end_with_the_cycle() -> None:
    cycle = parse_cycle("2025", date(2026, 1, 1))
    assert cycle.window_start(24) == date(2024, 1, 1)
    assert cycle.describe(24) == ("截至2025-12-31的24个月内", "the 24 months to 2025-12-31")


def test_cycle_years_out_of_range_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_cycle("1999", date(2026, 1, 1))
    assert caught.value.rule == "cycle_year"
