"""Publication windows from the policy of the decision date, and the sweep that ends them."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api.cli.main import cli
from api.db import Database
from api.settings import Settings, get_settings
from credit.audit.models import AuditEvent
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.clock import business_today
from credit.policy import regime
from credit.policy import service as policy
from credit.policy.document import document_dict
from credit.policy.models import PackVersion
from credit.records import history, service
from credit.records.models import RecordRevision, RecordStatus
from credit.records.publication import add_months, is_public, sweep_publication
from tests.credit.test_records import REVIEWER, World, make_world, payload, submit


@pytest.fixture
async def world(db: Database, settings: Settings, policy_defaults: list[PackVersion]) -> World:
    return await make_world(db, settings, policy_defaults)


async def current(db: Database, record_id: int) -> RecordRevision:
    async with db.transaction() as session:
        return (await history.get_record(session, record_id)).revision


async def window(db: Database, record_id: int) -> tuple[bool, str | None, str | None]:
    revision = await current(db, record_id)
    until = revision.publish_until
    start = revision.publish_from
    return revision.published, str(start) if start else None, str(until) if until else None


def test_months_count_as_the_civil_code_counts_them() -> None:
    assert add_months(date(2025, 3, 1), 12) == date(2026, 3, 1)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 36) == date(2028, 1, 31)


async def test_each_severity_gets_the_period_of_the_national_pack(
    db: Database, world: World
) -> None:
    general = await submit(db, payload(world, decided_on="2025-03-01"))
    serious = await submit(db, payload(world, item_code="ENF-40-OTHER-FRAUD"))
    minor = await submit(db, payload(world, item_code="ENF-39-RECORD-KEEPING"))
    upgraded = await submit(
        db, payload(world, item_code="ENF-39-RECORD-KEEPING", severity="general")
    )
    banned = await submit(db, payload(world, item_code="ENF-43-MANAGEMENT-BAN"))
    commended = await submit(db, payload(world, item_code="POS-COMMENDATION", responsible=[]))
    trained = await submit(db, payload(world, item_code="POS-TRAINING", responsible=[]))
    assert await window(db, general) == (True, "2025-03-01", "2026-03-01")
    assert await window(db, serious) == (True, "2025-03-01", "2028-03-01")
    # 轻微: not published by default, at most 3 months.
    assert await window(db, minor) == (False, "2025-03-01", "2025-06-01")
    assert await window(db, upgraded) == (True, "2025-03-01", "2026-03-01")
    # An item's own period (the five-year management ban) replaces its tier's.
    assert await window(db, banned) == (True, "2025-03-01", "2030-03-01")
    # A public commendation is published for the item's 24 months; other positive
    # information has no publication period at all.
    assert await window(db, commended) == (True, "2025-03-01", "2027-03-01")
    assert await window(db, trained) == (False, None, None)


async def activate_longer_general_period(db: Database, effective_from: date) -> int:
    """A second national version from `effective_from`: general records 6–24 months."""
    async with db.transaction() as session:
        first = await regime.regime_at(session, regime.NATIONAL, effective_from)
        assert first.id is not None
        draft = await policy.copy_version(
            session, SYSTEM_ACTOR, first.id, effective_from=effective_from
        )
        assert draft.id is not None
        document = document_dict(draft.document)
        document["severity_tiers"]["general"]["publication"] = {"min_months": 6, "max_months": 24}
        await policy.update_draft(session, SYSTEM_ACTOR, draft.id, document=document)
        await policy.submit(session, SYSTEM_ACTOR, draft.id)
        await policy.approve(session, SYSTEM_ACTOR, draft.id)
        return draft.id


async def test_a_record_keeps_the_regime_of_its_decision_date(db: Database, world: World) -> None:
    second = await activate_longer_general_period(db, date(2024, 1, 1))
    before = await submit(db, payload(world, decided_on="2023-12-31", occurred_on="2023-12-01"))
    after = await submit(db, payload(world, decided_on="2024-01-01", occurred_on="2023-12-01"))
    old, new = await current(db, before), await current(db, after)
    assert (old.pack_version_id, str(old.publish_until)) == (world.national_id, "2024-12-31")
    assert (new.pack_version_id, str(new.publish_until)) == (second, "2026-01-01")
    # A correction moving the decision date across the change takes the other regime.
    async with db.transaction() as session:
        await service.correct(session, REVIEWER, before, {"decided_on": "2024-02-01"}, "date")
    moved = await current(db, before)
    assert (moved.pack_version_id, str(moved.publish_until)) == (second, "2026-02-01")


def test_only_standing_records_inside_their_window_are_public() -> None:
    start, end = date(2025, 3, 1), date(2026, 3, 1)
    assert is_public("active", True, start, end, date(2025, 3, 1))
    assert is_public("under_objection", True, start, end, date(2026, 3, 1))
    assert is_public("corrected", True, start, end, date(2025, 9, 1))
    assert not is_public("active", True, start, end, date(2026, 3, 2))
    assert not is_public("active", False, start, end, date(2025, 9, 1))
    for status in ("revoked", "repaired", "expired"):
        assert not is_public(status, True, start, end, date(2025, 9, 1))
    assert not is_public("active", False, None, None, date(2025, 9, 1))


async def expiry_events(db: Database) -> int:
    async with db.transaction() as session:
        query = select(func.count()).where(AuditEvent.action == "record.expire")
        return int((await session.execute(query)).scalar_one())


async def test_the_sweep_ends_publication_once_and_catches_up_when_late(
    db: Database, world: World
) -> None:
    general = await submit(db, payload(world, decided_on="2025-03-01"))  # until 2026-03-01
    minor = await submit(db, payload(world, item_code="ENF-39-RECORD-KEEPING"))  # 2025-06-01
    serious = await submit(db, payload(world, item_code="ENF-40-OTHER-FRAUD"))  # 2028-03-01
    corrected = await submit(db, payload(world))  # until 2026-03-01
    disputed = await submit(db, payload(world))  # until 2026-03-01
    revoked = await submit(db, payload(world))
    trained = await submit(db, payload(world, item_code="POS-TRAINING", responsible=[]))
    async with db.transaction() as session:
        await service.correct(session, REVIEWER, corrected, {"fine_amount": "5"}, "typo")
        await service.set_under_objection(session, REVIEWER, disputed, "objection filed")
        await service.revoke(session, REVIEWER, revoked, "overturned")

    async def sweep(today: date) -> int:
        async with db.transaction() as session:
            return await sweep_publication(session, SYSTEM_ACTOR, today)

    assert await sweep(date(2025, 6, 1)) == 0  # the last day is still published
    assert await sweep(date(2025, 6, 2)) == 1
    assert (await current(db, minor)).status == RecordStatus.EXPIRED
    assert await sweep(date(2025, 6, 2)) == 0  # the same day again: nothing more
    # Months late: everything due since is ended, each record once.
    assert await sweep(date(2026, 9, 1)) == 2
    assert await sweep(date(2026, 9, 1)) == 0
    assert await expiry_events(db) == 2
    statuses = {
        name: (await current(db, record_id)).status
        for name, record_id in {
            "general": general,
            "corrected": corrected,
            "serious": serious,
            "disputed": disputed,
            "revoked": revoked,
            "trained": trained,
        }.items()
    }
    assert statuses == {
        "general": "expired",
        "corrected": "expired",
        "serious": "active",
        "disputed": "under_objection",  # waits for the objection's outcome
        "revoked": "revoked",
        "trained": "active",  # no window, nothing to end
    }
    async with db.transaction() as session:
        revisions = await history.history(session, REVIEWER, corrected)
    assert [revision.status for revision in revisions] == ["active", "corrected", "expired"]
    assert revisions[-1].changes == {"status": {"from": "corrected", "to": "expired"}}
    assert "publication period ended" in (revisions[-1].reason or "")


async def test_an_objection_dismissed_after_the_window_expires_at_the_next_sweep(
    db: Database, world: World
) -> None:
    record_id = await submit(db, payload(world, decided_on="2025-03-01"))
    async with db.transaction() as session:
        await service.set_under_objection(session, REVIEWER, record_id, "objection filed")
        assert await sweep_publication(session, SYSTEM_ACTOR, date(2026, 3, 5)) == 0
        await service.clear_objection(session, REVIEWER, record_id, "dismissed")
        assert await sweep_publication(session, SYSTEM_ACTOR, date(2026, 3, 5)) == 1
    assert (await current(db, record_id)).status == RecordStatus.EXPIRED


async def test_the_command_line_sweep_prints_how_many_ended(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    recent = (business_today() - timedelta(days=10)).isoformat()
    await submit(db, payload(world, decided_on="2025-03-01"))  # long over by now
    await submit(db, payload(world, decided_on=recent, occurred_on=recent))
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = await asyncio.to_thread(runner.invoke, cli, ["sweep", "publication"])
        second = await asyncio.to_thread(runner.invoke, cli, ["sweep", "publication"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "publication ended for 1 record(s)" in first.output
    assert "publication ended for 0 record(s)" in second.output
