"""Reason sentences: rules named, singular and plural right, Chinese natural."""

from __future__ import annotations

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR
from indicators import report, repository, runs
from indicators.reasons import counted, singular
from indicators.runs import RunRequest
from tests.indicators.support import add_record, hospital, hunan_set_id, seed
from tests.indicators.test_points import recent_day


def test_singular_and_plural() -> None:
    assert singular("confirmed monitoring violations") == "confirmed monitoring violation"
    assert singular("inspection findings") == "inspection finding"
    assert singular("fund loss") == "fund loss"
    assert counted(1, "violations") == "1 violation"
    assert counted(2, "violations") == "2 violations"
    assert counted(1, "verified reports") == "1 verified report"


async def _reasons(db: Database, subject_id: int) -> list[dict[str, object]]:
    async with db.transaction() as session:
        found = await report.report(session, SYSTEM_ACTOR, subject_id)
    assert found.live is not None
    return found.live.reason_codes


async def test_a_reason_names_the_monitoring_rules_behind_it(db: Database) -> None:
    await seed(db)
    one, two = await hospital(db, 1), await hospital(db, 2)
    day, year = recent_day(), recent_day()[:4]
    for ref in ("a", "b"):
        await add_record(db, one, "MON-SPLIT-CHARGE", day, ref, rule_code="R-0123")
    await add_record(db, two, "MON-SPLIT-CHARGE", day, "c", rule_code="R-0123")
    await add_record(db, two, "MON-SPLIT-CHARGE", day, "d", rule_code="R-0456")
    (first,) = [r for r in await _reasons(db, one) if r["code"] == "monitoring_violations"]
    assert first["en"] == f"2 confirmed monitoring violations of rule R-0123 in {year}: −2"
    assert first["zh"] == f"{year}年度智能监控确认违规2条（监控规则R-0123）：扣2分"
    assert first["rule_codes"] == ["R-0123"]
    (second,) = [r for r in await _reasons(db, two) if r["code"] == "monitoring_violations"]
    assert second["en"] == (
        f"2 confirmed monitoring violations of rules R-0123 and R-0456 in {year}: −2"
    )
    assert "R-0123、R-0456" in str(second["zh"])


async def test_one_record_reads_in_the_singular(db: Database) -> None:
    await seed(db)
    one = await hospital(db, 1)
    await add_record(db, one, "ENF-38-SPLIT-ADMISSION", recent_day(), "a")
    (reason,) = await _reasons(db, one)
    assert reason["en"] == f"1 violation in {recent_day()[:4]}: −5"
    assert reason["zh"] == f"{recent_day()[:4]}年度一般违法违规1条：扣5分"
    assert "rule_codes" not in reason


async def test_a_stored_result_names_the_rules_as_the_live_score_does(db: Database) -> None:
    await seed(db)
    one = await hospital(db, 1)
    await add_record(db, one, "MON-SPLIT-CHARGE", "2025-05-01", "a", rule_code="R-0123")
    set_id = await hunan_set_id(db)
    async with db.transaction() as session:
        run = await runs.start(session, SYSTEM_ACTOR, RunRequest(cycle="2025", set_ids=(set_id,)))
        (result,) = await repository.results(session, run.id or 0, subject_id=one)
    (reason,) = [r for r in result.reason_codes if r["code"] == "monitoring_violations"]
    assert reason["rule_codes"] == ["R-0123"]
    assert reason["en"] == "1 confirmed monitoring violation of rule R-0123 in 2025: −1"
