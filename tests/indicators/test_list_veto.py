"""The blacklist veto: a subject on the blacklist takes its profile's lowest grade in any run
after the listing, and a published listing reaches the measures and the change log at once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from api.db import Database
from credit.changelog.models import ChangedEntity, ChangeLogEntry
from credit.kernel.clock import business_today, utcnow
from credit.lists import service as lists
from credit.measures import catalog as measure_catalog
from credit.measures.repository import active_for
from credit.policy.vocabulary import ListName
from indicators import repository, runs, sets
from indicators.live import live_score
from indicators.models import EvaluationResult
from indicators.runs import RunRequest
from tests.credit.lists.support import published_since
from tests.indicators.support import OFFICER, add_record, hospital, seed


async def _run(db: Database, profile: str = "guangdong-2024", **kwargs: object) -> int:
    async with db.transaction() as session:
        active = await sets.active_set(session, profile, "medical_institution")
        assert active is not None
        assert active.id is not None
        run = await runs.start(
            session, OFFICER, RunRequest(cycle="2025", set_ids=(active.id,), **kwargs)
        )  # type: ignore[arg-type]
    assert run.id is not None
    return run.id


async def _result(db: Database, run_id: int, subject_id: int) -> EvaluationResult:
    async with db.transaction() as session:
        (result,) = await repository.results(session, run_id, subject_id=subject_id)
    return result


async def _blacklist(db: Database, subject_id: int, started: date) -> int:
    return await published_since(db, ListName.BLACK, subject_id, started)


async def test_a_blacklisted_subject_gets_the_lowest_grade_of_its_profile(db: Database) -> None:
    await seed(db)
    listed = await hospital(db, 1, region="440103")
    clean = await hospital(db, 2, region="440103")
    await add_record(db, listed, "POS-COMMENDATION", "2025-02-01", "c1")
    before = await _run(db)
    earned = await _result(db, before, listed)
    assert earned.grade in ("A", "B")

    entry_id = await _blacklist(db, listed, business_today() - timedelta(days=45))
    after = await _run(db)

    vetoed = await _result(db, after, listed)
    assert (vetoed.grade, vetoed.vetoed_by) == ("E", "black_list")  # Guangdong's lowest grade
    first = vetoed.reason_codes[0]
    assert first["code"] == "black_list"
    assert first["list_entry_id"] == entry_id
    assert first["en"].endswith("grade set to E")
    assert "严重失信" in first["zh"]
    assert any(item.get("list_entry_id") == entry_id for item in vetoed.contributions)
    # The total still shows what the records earned; only the grade is forced.
    assert vetoed.total == earned.total
    assert (await _result(db, after, clean)).grade == (await _result(db, before, clean)).grade
    # The earlier run is untouched, and re-running its as_of gives its answer again: the
    # listing was not known then.
    assert (await _result(db, before, listed)).grade == earned.grade
    async with db.transaction() as session:
        as_of = (await runs.get_run(session, before)).as_of
    again = await _run(db, as_of=as_of)
    assert (await _result(db, again, listed)).grade == earned.grade


async def test_the_veto_grade_is_the_profiles_own(db: Database) -> None:
    await seed(db)
    listed = await hospital(db, 3)  # Hunan: its lowest grade is D
    await add_record(db, listed, "POS-COMMENDATION", "2025-02-01", "c3")
    await _blacklist(db, listed, business_today() - timedelta(days=45))
    async with db.transaction() as session:
        active = await sets.active_set(session, "hunan-2024", "medical_institution")
        assert active is not None
        assert active.id is not None
        run = await runs.start(session, OFFICER, RunRequest(cycle="2025", set_ids=(active.id,)))
    result = await _result(db, run.id or 0, listed)
    assert (result.grade, result.vetoed_by) == ("D", "black_list")


async def test_publishing_a_listing_reaches_live_score_measures_and_partners(
    db: Database,
) -> None:
    await seed(db)
    listed = await hospital(db, 4, region="440103")
    entry_id = await _blacklist(db, listed, business_today() - timedelta(days=45))

    async with db.transaction() as session:
        live = await live_score(session, listed)
        started = {row["measure_code"] for row in await active_for(session, [listed])}
        catalog = await measure_catalog.in_force(session)
        log = await session.execute(
            select(col(ChangeLogEntry.op)).where(
                col(ChangeLogEntry.entity) == ChangedEntity.LIST_ENTRY,
                col(ChangeLogEntry.entity_id) == entry_id,
            )
        )
        ops = list(log.scalars())
        on = await lists.in_force(session, [listed], utcnow())
    assert live is not None
    assert (live.grade, live.vetoed_by) == ("E", "black_list")
    # Every measure the pack triggers by the blacklist for a hospital started with the listing.
    expected = {
        measure.code
        for measure in catalog.measures
        if ListName.BLACK in measure.trigger.lists
        and "medical_institution" in measure.subject_kinds
    }
    assert "DIS-TERMINATE-AGREEMENT" in expected
    assert expected <= started
    assert ops == ["ADD"]
    assert on == {listed: {ListName.BLACK}}
