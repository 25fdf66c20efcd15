"""Revisions, the status workflow and bitemporal reads (`as_of`) of credit records."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from api.db import Database
from api.settings import Settings
from credit.audit.models import AuditEvent
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.policy.models import PackVersion
from credit.records import history, service
from credit.records.history import RecordState
from credit.records.models import RecordStatus
from credit.records.repository import RecordFilter
from credit.records.shape import RowRejected
from credit.records.workflow import ALLOWED_TRANSITIONS
from tests.credit.test_records import OFFICER, REVIEWER, World, make_world, payload, submit


@pytest.fixture
async def world(db: Database, settings: Settings, policy_defaults: list[PackVersion]) -> World:
    return await make_world(db, settings, policy_defaults)


async def read(db: Database, record_id: int, as_of: datetime | None = None) -> RecordState:
    async with db.transaction() as session:
        return await history.get_record(session, record_id, as_of=as_of)


async def test_a_correction_is_a_new_revision_and_the_old_one_stays_readable(
    db: Database, world: World
) -> None:
    record_id = await submit(db, payload(world, amount_involved="100.00"))
    async with db.transaction() as session:
        await service.correct(
            session, REVIEWER, record_id, {"amount_involved": "150.50"}, "amount misread"
        )
    async with db.transaction() as session:
        revisions = await history.history(session, REVIEWER, record_id)
    first, second = revisions
    assert (first.revision, first.status, str(first.amount_involved)) == (1, "active", "100.00")
    assert first.actor == OFFICER.name
    assert first.known_until == second.known_from
    assert (second.revision, second.status, second.known_until) == (2, "corrected", None)
    assert second.changes == {
        "amount_involved": {"from": "100.00", "to": "150.50"},
        "status": {"from": "active", "to": "corrected"},
    }
    assert (second.actor, second.actor_role, second.reason) == (
        REVIEWER.name,
        "reviewer",
        "amount misread",
    )


async def test_as_of_reproduces_what_was_known_then(db: Database, world: World) -> None:
    record_id = await submit(db, payload(world, amount_involved="100.00"))
    recorded = (await read(db, record_id)).revision.known_from
    async with db.transaction() as session:
        await service.correct(session, REVIEWER, record_id, {"amount_involved": "80"}, "audit")
    corrected_at = (await read(db, record_id)).revision.known_from
    later_id = await submit(db, payload(world))

    before = await read(db, record_id, as_of=corrected_at - timedelta(microseconds=1))
    assert (before.revision.status, str(before.revision.amount_involved)) == ("active", "100.00")
    after = await read(db, record_id, as_of=corrected_at)
    assert (after.revision.status, str(after.revision.amount_involved)) == ("corrected", "80.00")
    with pytest.raises(NotFound):
        await read(db, record_id, as_of=recorded - timedelta(microseconds=1))

    async with db.transaction() as session:
        then = await history.records_of(session, world.hospital, as_of=corrected_at)
        now = await history.records_of(session, world.hospital)
        earlier_history = await history.history(
            session, REVIEWER, record_id, as_of=corrected_at - timedelta(microseconds=1)
        )
    assert [state.id for state in then] == [record_id]  # the later record was not known yet
    assert [state.id for state in now] == [later_id, record_id]
    assert [revision.revision for revision in earlier_history] == [1]
    # Asked again later, the same as_of answers the same.
    again = await read(db, record_id, as_of=corrected_at - timedelta(microseconds=1))
    assert again.revision.id == before.revision.id


async def test_a_time_without_offset_is_read_as_beijing_time(db: Database, world: World) -> None:
    record_id = await submit(db, payload(world))
    recorded = (await read(db, record_id)).revision.known_from
    beijing_wall_clock = (recorded + timedelta(hours=8)).replace(tzinfo=None)
    assert (await read(db, record_id, as_of=beijing_wall_clock)).id == record_id
    with pytest.raises(NotFound):
        await read(db, record_id, as_of=beijing_wall_clock - timedelta(seconds=1))


async def test_a_revoked_record_keeps_its_history(db: Database, world: World) -> None:
    record_id = await submit(db, payload(world))
    with pytest.raises(RowRejected) as too_long:
        async with db.transaction() as session:
            await service.revoke(session, REVIEWER, record_id, "理" * 2001)
    assert (too_long.value.field, too_long.value.rule) == ("reason", "max_length")
    async with db.transaction() as session:
        await service.revoke(session, REVIEWER, record_id, "objection upheld")
    state = await read(db, record_id)
    assert state.revision.status == RecordStatus.REVOKED
    assert state.revision.amount_involved is not None  # the facts stay as they were
    with pytest.raises(Conflict) as refused:
        async with db.transaction() as session:
            await service.revoke(session, REVIEWER, record_id, "again")
    assert refused.value.rule == "transition"
    async with db.transaction() as session:
        assert len(await history.history(session, REVIEWER, record_id)) == 2


async def test_an_objection_flags_the_record_and_clearing_it_restores_the_status(
    db: Database, world: World
) -> None:
    record_id = await submit(db, payload(world))
    async with db.transaction() as session:
        await service.correct(session, REVIEWER, record_id, {"fine_amount": "10"}, "typo")
        await service.set_under_objection(session, REVIEWER, record_id, "objection 17 accepted")
    assert (await read(db, record_id)).revision.status == RecordStatus.UNDER_OBJECTION
    async with db.transaction() as session:
        await service.clear_objection(session, REVIEWER, record_id, "objection dismissed")
    assert (await read(db, record_id)).revision.status == RecordStatus.CORRECTED
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            await service.clear_objection(session, REVIEWER, record_id, "nothing to clear")


async def test_repair_and_expiry_end_publication(db: Database, world: World) -> None:
    repaired = await submit(db, payload(world))
    expired = await submit(db, payload(world))
    async with db.transaction() as session:
        await service.mark_repaired(session, REVIEWER, repaired, "repair 3 approved")
        await service.expire(session, REVIEWER, expired, "period over")
    assert (await read(db, repaired)).revision.status == RecordStatus.REPAIRED
    assert (await read(db, expired)).revision.status == RecordStatus.EXPIRED


def test_revoked_is_final_and_every_status_is_in_the_table() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(RecordStatus)
    assert ALLOWED_TRANSITIONS[RecordStatus.REVOKED] == frozenset()
    assert RecordStatus.ACTIVE not in ALLOWED_TRANSITIONS[RecordStatus.EXPIRED]


async def test_a_correction_is_checked_like_a_submission(db: Database, world: World) -> None:
    record_id = await submit(db, payload(world))
    with pytest.raises(RowRejected) as rejected:
        async with db.transaction() as session:
            await service.correct(
                session, REVIEWER, record_id, {"occurred_on": "2025-04-01"}, "wrong date"
            )
    assert rejected.value.rule == "occurred_before_decision"
    with pytest.raises(RowRejected) as rejected:
        async with db.transaction() as session:
            await service.correct(session, REVIEWER, record_id, {"subject_id": 5}, "move")
    assert (rejected.value.field, rejected.value.rule) == ("subject_id", "unknown_field")
    with pytest.raises(InvalidInput) as unchanged:
        async with db.transaction() as session:
            await service.correct(
                session, REVIEWER, record_id, {"amount_involved": "12345.6"}, "same"
            )
    assert unchanged.value.rule == "no_change"
    with pytest.raises(InvalidInput) as no_reason:
        async with db.transaction() as session:
            await service.correct(session, REVIEWER, record_id, {"fine_amount": "1"}, "  ")
    assert (no_reason.value.field, no_reason.value.rule) == ("reason", "required")
    assert (await read(db, record_id)).revision.revision == 1


async def test_a_corrected_item_or_date_brings_its_own_terms(db: Database, world: World) -> None:
    record_id = await submit(db, payload(world))
    async with db.transaction() as session:
        await service.correct(
            session,
            REVIEWER,
            record_id,
            {"item_code": "ENF-40-OTHER-FRAUD", "decided_on": "2025-04-15", "responsible": None},
            "reclassified as fraud",
        )
    revision = (await read(db, record_id)).revision
    assert (revision.item_code, revision.severity, revision.category) == (
        "ENF-40-OTHER-FRAUD",
        "serious",
        "enforcement",
    )
    assert "第四十条" in (revision.legal_basis or "")
    assert (str(revision.publish_from), str(revision.publish_until)) == ("2025-04-15", "2028-04-15")
    assert revision.responsible == []
    assert set(revision.changes) >= {"item_code", "severity", "decided_on", "publish_until"}


async def test_every_change_is_audited(db: Database, world: World) -> None:
    record_id = await submit(db, payload(world))
    async with db.transaction() as session:
        await service.correct(session, REVIEWER, record_id, {"fine_amount": "1"}, "typo")
        await service.revoke(session, REVIEWER, record_id, "objection upheld")
        actions = (
            (
                await session.execute(
                    select(AuditEvent.action).where(
                        AuditEvent.target_type == "credit_record",
                        AuditEvent.target_id == str(record_id),
                    )
                )
            )
            .scalars()
            .all()
        )
    assert actions == ["record.create", "record.correct", "record.revoke"]


async def test_the_credit_file_filters_apply_to_the_revision_read(
    db: Database, world: World
) -> None:
    general = await submit(db, payload(world, decided_on="2025-03-01"))
    serious = await submit(
        db, payload(world, item_code="ENF-40-OTHER-FRAUD", decided_on="2025-06-01")
    )
    agreement = await submit(db, payload(world, item_code="AGR-RECOVER", decided_on="2025-09-01"))
    await submit(db, payload(world, subject_id=world.other_hospital))
    async with db.transaction() as session:
        await service.revoke(session, REVIEWER, general, "overturned")

    async def ids(criteria: RecordFilter) -> list[int]:
        async with db.transaction() as session:
            return [
                state.id for state in await history.records_of(session, world.hospital, criteria)
            ]

    assert await ids(RecordFilter()) == [agreement, serious, general]
    assert await ids(RecordFilter(category="agreement")) == [agreement]
    assert await ids(RecordFilter(severity="serious")) == [serious]
    assert await ids(RecordFilter(status="revoked")) == [general]
    june_first = date(2025, 6, 1)
    assert await ids(RecordFilter(decided_from=june_first, decided_to=june_first)) == [serious]
    assert await ids(RecordFilter(decided_from=date(2025, 7, 1))) == [agreement]
