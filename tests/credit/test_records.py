"""Submitting and importing credit records: row validation, idempotency, the ingest engine.

The helpers at the top (`World`, `world`, `payload`) are shared by the other record tests.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric, uscc

from api.db import Database
from api.settings import Settings
from credit.audit.models import AuditEvent
from credit.kernel import signals
from credit.kernel.actor import SYSTEM_ACTOR, Actor, Role
from credit.kernel.clock import business_today
from credit.kernel.errors import Conflict
from credit.policy.models import PackVersion
from credit.records import repository, service
from credit.records.ingest import ImportReport, ingest
from credit.records.models import CreditRecord, RecordRevision
from credit.records.shape import RowRejected
from credit.subjects import service as subjects
from credit.subjects.models import SubjectCreate
from credit.subjects.pii import PersonalIdentifiers

OFFICER = Actor(role=Role.OFFICER, name="officer.li", account_id=None)
REVIEWER = Actor(role=Role.REVIEWER, name="reviewer.wang", account_id=None)
_refs = itertools.count(1)


def valid_uscc(number: int) -> str:
    body = f"9143010{number:010d}"
    return body + uscc.calc_check_digit(body)


def valid_resident_id(number: int) -> str:
    body = f"4301021985{number % 12 + 1:02d}{number % 28 + 1:02d}{number % 1000:03d}"
    # python-stdnum's calc_check_digit reads the first 17 of 18 characters.
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class World:
    """Subjects of every kind a record test needs."""

    hospital: int
    other_hospital: int
    pharmacy: int
    physician: int
    pharmacist: int
    insured: int
    national_id: int
    physician_resident_id: str


async def make_world(db: Database, settings: Settings, packs: list[PackVersion]) -> World:
    pii = PersonalIdentifiers(settings.secret_key)
    national = next(version for version in packs if version.code == "national")
    assert national.id is not None
    created: dict[str, int] = {}
    people = {"physician": valid_resident_id(1), "pharmacist": valid_resident_id(2)}
    async with db.transaction() as session:
        for key, kind, number in (
            ("hospital", "medical_institution", 1),
            ("other_hospital", "medical_institution", 2),
            ("pharmacy", "retail_pharmacy", 3),
        ):
            subject = await subjects.register(
                session,
                SYSTEM_ACTOR,
                SubjectCreate(kind=kind, name=f"测试{key}", uscc=valid_uscc(number)),
                pii=pii,
            )
            created[key] = subject.id or 0
        for key, kind, resident_id in (
            ("physician", "physician", people["physician"]),
            ("pharmacist", "pharmacist", people["pharmacist"]),
            ("insured", "insured_person", valid_resident_id(3)),
        ):
            subject = await subjects.register(
                session,
                SYSTEM_ACTOR,
                SubjectCreate(kind=kind, name=f"测试{key}", resident_id=resident_id),
                pii=pii,
            )
            created[key] = subject.id or 0
    return World(**created, national_id=national.id, physician_resident_id=people["physician"])


@pytest.fixture
async def world(db: Database, settings: Settings, policy_defaults: list[PackVersion]) -> World:
    return await make_world(db, settings, policy_defaults)


def payload(world: World, **changes: Any) -> dict[str, Any]:
    """A valid enforcement record against the hospital, with a fresh source reference."""
    return {
        "subject_id": world.hospital,
        "item_code": "ENF-38-SPLIT-ADMISSION",
        "occurred_on": "2025-01-10",
        "decided_on": "2025-03-01",
        "document_no": "湘医保罚〔2025〕12号",
        "amount_involved": "12345.60",
        "fine_amount": "24691.20",
        "responsible": [{"subject_id": world.physician, "tier": "principal"}],
        "source_system": "hn-enforcement",
        "source_ref": f"CASE-{next(_refs)}",
        **changes,
    }


async def submit(db: Database, body: dict[str, Any], actor: Actor = OFFICER) -> int:
    async with db.transaction() as session:
        return (await service.submit(session, actor, body)).record_id


async def count(db: Database, model: type[Any]) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def failures_of(db: Database, body: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(RowRejected) as rejected:
        await submit(db, body)
    return {(failure.field, failure.rule) for failure in rejected.value.failures}


# --- single submission -----------------------------------------------------------------------


async def test_a_record_is_stored_with_the_facts_of_its_catalog_item(
    db: Database, world: World
) -> None:
    record_id = await submit(db, payload(world, amount_involved="12345.6"))
    async with db.transaction() as session:
        record = await repository.record_by_id(session, record_id)
        current = await repository.current_revision(session, record_id)
    assert record is not None
    assert current is not None
    assert (current.category, current.severity, current.status) == (
        "enforcement",
        "general",
        "active",
    )
    assert current.pack_version_id == world.national_id
    assert "第三十八条" in (current.legal_basis or "")
    assert str(current.amount_involved) == "12345.60"
    assert current.responsible == [{"subject_id": world.physician, "tier": "principal"}]
    assert current.revision == 1
    assert current.known_from == record.recorded_at


async def test_the_same_payload_again_is_unchanged_and_stored_once(
    db: Database, world: World
) -> None:
    body = payload(world)
    first = await submit(db, body)
    # Written differently, meaning the same: trailing zeros, spaces, a tier in Chinese.
    again = {
        **body,
        "amount_involved": "12345.6",
        "document_no": f"  {body['document_no']} ",
        "responsible": f"{world.physician}:主要",
    }
    async with db.transaction() as session:
        second = await service.submit(session, OFFICER, again)
    assert second.record_id == first
    assert second.created is False
    assert await count(db, CreditRecord) == 1
    assert await count(db, RecordRevision) == 1


async def test_another_payload_under_a_stored_reference_is_a_conflict(
    db: Database, world: World
) -> None:
    body = payload(world)
    first = await submit(db, body)
    with pytest.raises(Conflict) as conflict:
        await submit(db, {**body, "fine_amount": "1.00"})
    assert conflict.value.field == "source_ref"
    assert conflict.value.rule == "same_payload"
    assert conflict.value.extra["existing_id"] == first
    assert await count(db, CreditRecord) == 1
    async with db.transaction() as session:
        current = await repository.current_revision(session, first)
    assert current is not None
    assert str(current.fine_amount) == "24691.20"


async def test_the_same_reference_from_another_system_is_another_record(
    db: Database, world: World
) -> None:
    body = payload(world)
    await submit(db, body)
    await submit(db, {**body, "source_system": "hn-agreement", "fine_amount": "1"})
    assert await count(db, CreditRecord) == 2


async def test_a_reference_stored_meanwhile_is_caught_by_the_unique_constraint(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-up missed a row another request committed; the insert must not make a second."""
    body = payload(world)
    first = await submit(db, body)
    real = repository.stored_refs
    calls = {"n": 0}

    async def blind_first_time(*args: Any, **kwargs: Any) -> dict[str, tuple[int, str]]:
        calls["n"] += 1
        return {} if calls["n"] == 1 else await real(*args, **kwargs)

    monkeypatch.setattr(repository, "stored_refs", blind_first_time)
    async with db.transaction() as session:
        again = await service.submit(session, OFFICER, body)
    assert (again.record_id, again.created) == (first, False)
    calls["n"] = 0
    with pytest.raises(Conflict):
        await submit(db, {**body, "fine_amount": "3"})
    assert await count(db, CreditRecord) == 1


async def test_concurrent_submissions_of_one_reference_store_one_record(
    db: Database, world: World
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    body = payload(world)
    async with db.transaction() as first_session:
        await service.submit(first_session, OFFICER, body)

        async def second() -> service.Submission:
            async with db.transaction() as session:
                return await service.submit(session, OFFICER, body)

        racing = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second insert now waits on the first transaction
        assert not racing.done()
    result = await racing
    assert result.created is False
    assert await count(db, CreditRecord) == 1


# --- validation rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"subject_id": None}, ("subject_id", "required")),
        ({"subject_id": "abc"}, ("subject_id", "integer")),
        ({"subject_id": True}, ("subject_id", "integer")),
        ({"subject_id": 0}, ("subject_id", "id_range")),
        ({"colour": "red"}, ("colour", "unknown_field")),
        ({"item_code": "NO-SUCH-ITEM"}, ("item_code", "known_item")),
        ({"decided_on": "2025-02-30"}, ("decided_on", "date")),
        ({"decided_on": 20250301}, ("decided_on", "date")),
        ({"occurred_on": "yesterday"}, ("occurred_on", "date")),
        ({"decided_on": "1999-01-04", "occurred_on": None}, ("decided_on", "regime_in_force")),
        ({"occurred_on": "2025-03-02"}, ("occurred_on", "occurred_before_decision")),
        ({"amount_involved": "-1"}, ("amount_involved", "non_negative")),
        ({"fine_amount": "12.345"}, ("fine_amount", "max_2_decimal_places")),
        ({"fine_amount": "12,00"}, ("fine_amount", "decimal")),
        ({"amount_involved": "NaN"}, ("amount_involved", "decimal")),
        ({"document_no": "号" * 101}, ("document_no", "max_length")),
        ({"document_no": "湘\x00罚"}, ("document_no", "printable_text")),
        ({"source_ref": "r" * 101}, ("source_ref", "max_length")),
        ({"source_system": "  "}, ("source_system", "required")),
        ({"severity": "catastrophic"}, ("severity", "one_of")),
        ({"responsible": "nobody"}, ("responsible", "responsible_format")),
    ],
)
async def test_each_shape_rule_names_the_field(
    db: Database, world: World, changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    body = {key: value for key, value in payload(world, **changes).items() if value is not None}
    assert expected in await failures_of(db, body)
    assert await count(db, CreditRecord) == 0


async def test_dates_after_today_are_refused(db: Database, world: World) -> None:
    tomorrow = (business_today() + timedelta(days=1)).isoformat()
    found = await failures_of(db, payload(world, decided_on=tomorrow, occurred_on=tomorrow))
    assert {("decided_on", "not_in_future"), ("occurred_on", "not_in_future")} <= found


async def test_facts_are_checked_against_subjects_and_the_catalog(
    db: Database, world: World
) -> None:
    assert ("subject_id", "exists") in await failures_of(db, payload(world, subject_id=999_999))
    # Art. 41 items concern insured persons, not hospitals.
    wrong_kind = payload(world, item_code="ENF-41-LEND-CARD")
    assert ("item_code", "fits_subject_kind") in await failures_of(db, wrong_kind)
    favourable = payload(world, item_code="POS-COMMENDATION", severity="minor")
    assert ("severity", "no_severity_for_favourable") in await failures_of(db, favourable)
    monitoring = payload(world, item_code="MON-DUPLICATE-CHARGE")
    assert ("rule_code", "required_for_monitoring") in await failures_of(db, monitoring)
    await submit(db, {**monitoring, "rule_code": "R-DUP-01"})


async def test_responsible_persons_must_be_existing_staff_once_each(
    db: Database, world: World
) -> None:
    body = payload(
        world,
        responsible=[
            {"subject_id": world.physician, "tier": "principal"},
            {"subject_id": world.physician, "tier": "general"},
            {"subject_id": world.other_hospital, "tier": "general"},
            {"subject_id": world.insured, "tier": "general"},
            {"subject_id": 888_888, "tier": "important"},
        ],
    )
    assert await failures_of(db, body) == {
        ("responsible[1].subject_id", "unique"),
        ("responsible[2].subject_id", "person_kind"),
        ("responsible[3].subject_id", "person_kind"),
        ("responsible[4].subject_id", "exists"),
    }
    boss = payload(world, responsible=[{"subject_id": world.pharmacist, "tier": "boss"}])
    assert await failures_of(db, boss) == {("responsible[0].tier", "one_of")}


async def test_responsible_persons_in_a_cell_and_in_chinese_tiers(
    db: Database, world: World
) -> None:
    cell = f"{world.pharmacist}：重要；{world.physician}:一般"
    record_id = await submit(db, payload(world, responsible=cell))
    async with db.transaction() as session:
        current = await repository.current_revision(session, record_id)
    assert current is not None
    assert current.responsible == sorted(
        [
            {"subject_id": world.physician, "tier": "general"},
            {"subject_id": world.pharmacist, "tier": "important"},
        ],
        key=lambda person: person["subject_id"],
    )


async def test_a_row_with_several_faults_lists_every_one(db: Database, world: World) -> None:
    found = await failures_of(
        db, payload(world, subject_id=999_999, item_code="NO-SUCH", occurred_on="2025-04-01")
    )
    assert found == {
        ("subject_id", "exists"),
        ("item_code", "known_item"),
        ("occurred_on", "occurred_before_decision"),
    }


async def test_a_refused_submission_writes_nothing(db: Database, world: World) -> None:
    before = await count(db, AuditEvent)
    await failures_of(db, payload(world, amount_involved="-5"))
    assert await count(db, CreditRecord) == 0
    assert await count(db, AuditEvent) == before


# --- the ingest engine -----------------------------------------------------------------------


def numbered(rows: list[dict[str, Any]], first_line: int = 2) -> list[tuple[int, dict[str, Any]]]:
    return list(enumerate(rows, start=first_line))


async def run_ingest(
    db: Database, rows: Any, mode: str = "partial", chunk_size: int = 3
) -> ImportReport:
    async with db.transaction() as session:
        return await ingest(
            session, OFFICER, rows, mode=mode, source_label="cases.csv", chunk_size=chunk_size
        )  # type: ignore[arg-type]


async def test_partial_import_stores_good_rows_and_reports_bad_ones_by_line(
    db: Database, world: World
) -> None:
    stored = payload(world)
    await submit(db, stored)
    rows = [
        payload(world),
        payload(world, amount_involved="-1"),
        stored,  # already stored, same payload
        {**stored, "fine_amount": "2"},  # already stored, another payload
        payload(world, item_code="NO-SUCH", subject_id=999_999),
        payload(world),
        payload(world),
    ]
    report = await run_ingest(db, numbered(rows))
    assert (report.created, report.unchanged, report.rejected) == (3, 1, 3)
    assert {(error.line, error.field, error.rule) for error in report.errors} == {
        (3, "amount_involved", "non_negative"),
        (5, "source_ref", "same_payload"),
        (6, "subject_id", "exists"),
        (6, "item_code", "known_item"),
    }
    assert report.rejected_lines == [3, 5, 6]
    assert report.errors[0].source_ref == rows[1]["source_ref"]
    assert await count(db, CreditRecord) == 4
    assert await count(db, RecordRevision) == 4
    assert report.as_dict()["errors"][0] == {
        "line": 3,
        "field": "amount_involved",
        "rule": "non_negative",
        "message": "amount_involved must not be negative",
    }


async def test_all_or_nothing_stores_nothing_when_one_row_is_bad(
    db: Database, world: World
) -> None:
    before = await count(db, AuditEvent)
    rows = [payload(world) for _ in range(7)] + [payload(world, decided_on="2025-13-01")]
    report = await run_ingest(db, numbered(rows), mode="all_or_nothing")
    assert report.rolled_back is True
    assert (report.created, report.rejected) == (0, 1)
    assert report.errors[0].line == 9
    assert await count(db, CreditRecord) == 0
    assert await count(db, RecordRevision) == 0
    assert await count(db, AuditEvent) == before


async def test_all_or_nothing_stores_everything_when_all_rows_are_good(
    db: Database, world: World
) -> None:
    report = await run_ingest(db, numbered([payload(world) for _ in range(8)]), "all_or_nothing")
    assert (report.created, report.rolled_back) == (8, False)
    assert await count(db, RecordRevision) == 8


async def test_a_reference_repeated_in_one_file(db: Database, world: World) -> None:
    row = payload(world)
    rows = [row, dict(row), {**row, "fine_amount": "9"}, payload(world)]
    # chunk_size 2 puts the conflicting repeat in the chunk after the first occurrence.
    for chunk_size in (10, 2):
        report = await run_ingest(db, numbered(rows), chunk_size=chunk_size)
        assert report.rejected == 1
        assert report.errors[0].line == 4
        assert report.errors[0].rule == "same_payload"
    assert await count(db, CreditRecord) == 2


async def test_one_audit_event_per_import_and_an_async_row_source(
    db: Database, world: World
) -> None:
    before = await count(db, AuditEvent)

    async def rows() -> Any:
        for line in range(2, 12):
            yield line, payload(world)

    report = await run_ingest(db, rows())
    assert report.created == 10
    assert report.first_record_id is not None
    assert report.last_record_id == report.first_record_id + 9
    async with db.transaction() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.seq > before)))
            .scalars()
            .all()
        )
    assert [event.action for event in events] == ["record.import"]
    assert '"created":10' in events[0].change


async def test_reimporting_the_same_file_changes_nothing(db: Database, world: World) -> None:
    rows = numbered([payload(world) for _ in range(5)])
    await run_ingest(db, rows)
    before = await count(db, AuditEvent)
    report = await run_ingest(db, rows)
    assert (report.created, report.unchanged, report.rejected) == (0, 5, 0)
    assert await count(db, CreditRecord) == 5
    assert await count(db, AuditEvent) == before


async def test_each_stored_chunk_announces_its_subjects_in_the_same_transaction(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    announced: list[tuple[frozenset[int], str, int]] = []

    async def probe(session: Any, event: signals.SubjectsChanged) -> None:
        stored = await session.execute(select(func.count()).select_from(CreditRecord))
        announced.append((event.subject_ids, event.cause, stored.scalar_one()))

    monkeypatch.setitem(signals._handlers, "test_probe", probe)
    rows = [
        payload(world),
        payload(world, subject_id=world.other_hospital),
        payload(world, amount_involved="-1"),
        payload(world),
        payload(world, subject_id=999_999),
    ]
    await run_ingest(db, numbered(rows), chunk_size=2)
    assert announced == [
        (frozenset({world.hospital, world.other_hospital}), "records_imported", 2),
        (frozenset({world.hospital}), "records_imported", 3),
    ]
