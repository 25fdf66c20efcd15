"""The demo province: valid identifiers, realistic names, working logins, idempotent --if-empty."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from stdnum.cn import ric, uscc

from api import settings as app_settings
from api.cli.main import cli
from api.db import Database
from api.demo import DEMO_LOGINS, DemoBuilt, build_demo, logins
from api.demo.generate import plan_province
from api.demo.pools import REGION_CODES, REGISTRATION_CODES
from api.settings import Settings
from credit.accounts.models import Account, ApiKey
from credit.audit.models import AuditEvent
from credit.kernel.clock import business_today
from credit.records.models import CreditRecord
from credit.subjects.kinds import registry
from credit.subjects.models import PracticeSite, Subject
from credit.subjects.pii import PersonalIdentifiers
from indicators import repository, runs
from indicators.models import Simulation

SCALE = 0.04  # 12 institutions, 8 pharmacies, ~160 staff, 200 insured persons
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff（）]{2,40}$")


async def _build(db: Database, settings: Settings, seed: int = 11) -> DemoBuilt:
    async with db.transaction() as session:
        return await build_demo(
            session, PersonalIdentifiers(settings.secret_key), seed=seed, scale=SCALE
        )


async def _rows(db: Database) -> tuple[list[Subject], list[PracticeSite]]:
    async with db.sessionmaker() as session:
        subjects = (await session.execute(select(Subject).order_by(Subject.id))).scalars().all()
        sites = (await session.execute(select(PracticeSite))).scalars().all()
    return list(subjects), list(sites)


async def test_every_identifier_is_valid_unique_and_placed_in_hunan(
    db: Database, settings: Settings
) -> None:
    built = await _build(db, settings)
    subjects, _sites = await _rows(db)
    pii = PersonalIdentifiers(settings.secret_key)

    organisations = [s for s in subjects if s.uscc is not None]
    persons = [s for s in subjects if s.resident_id_sealed is not None]
    assert len(organisations) + len(persons) == len(subjects) == built.province.subjects
    for organisation in organisations:
        assert uscc.is_valid(organisation.uscc), organisation.uscc
        assert organisation.uscc[2:8] in REGISTRATION_CODES, organisation.uscc
    resident_ids = [pii.unseal(person.resident_id_sealed) or "" for person in persons]
    for resident_id in resident_ids:
        assert ric.is_valid(resident_id), resident_id
    assert len(set(resident_ids)) == len(resident_ids)
    assert len({s.uscc for s in organisations}) == len(organisations)
    nhsa_codes = [s.nhsa_code for s in subjects if s.nhsa_code]
    assert len(set(nhsa_codes)) == len(nhsa_codes)
    for subject in subjects:
        assert CHINESE_NAME.match(subject.name), subject.name
        assert subject.region_code in REGION_CODES
        assert not subject.identifier_override


async def test_counts_kinds_and_practice_sites_are_as_reported(
    db: Database, settings: Settings
) -> None:
    built = await _build(db, settings)
    subjects, sites = await _rows(db)
    counts = built.province.counts
    assert Counter(s.kind for s in subjects) == {k: n for k, n in counts.items() if k in registry()}
    assert counts["practice_site"] == len(sites)
    assert counts["medical_institution"] >= 10
    assert counts["physician"] > 100

    kind_of = {s.id: s.kind for s in subjects}
    for site in sites:
        assert registry()[kind_of[site.person_id]].practises
        assert registry()[kind_of[site.institution_id]].hosts_practice
    sites_per_person = Counter(site.person_id for site in sites)
    staff = [s.id for s in subjects if registry()[s.kind].practises]
    assert all(sites_per_person[person] >= 1 for person in staff)
    assert any(n == 2 for n in sites_per_person.values()), "some people work at two sites"
    hospital = next(s for s in subjects if s.id == built.province.hospital_id)
    assert hospital.name == "长沙市第一人民医院"
    assert hospital.level == "tertiary"
    assert {s.agreement_status for s in subjects if s.kind == "medical_institution"} >= {"normal"}


async def test_the_audit_log_has_one_event_per_batch_not_per_row(
    db: Database, settings: Settings
) -> None:
    built = await _build(db, settings)
    async with db.sessionmaker() as session:
        events = (await session.execute(select(AuditEvent))).scalars().all()
    # The shipped policy packs and indicator sets are activated once, whatever the scale; the
    # evaluations, the calendar, each person's qualification status, every list entry's steps and
    # every measure feedback are individual acts with events of their own.
    policy = (
        "policy_pack.",
        "indicator_set.",
        "evaluation_run.",
        "simulation.",
        "calendar.",
        "subject.qualification_status",
        "list_entry.",
        "measure_assignment.",
        # Objections and repairs, and the record changes their decisions make, are acts too.
        "objection.",
        "repair.",
        "record.objection",
        "record.revoke",
        "record.correct",
        "record.repair",
    )
    demo_events = [e for e in events if not e.action.startswith(policy)]
    assert len(demo_events) < 20 < built.province.subjects
    batches = [json.loads(e.change) for e in events if e.action == "subject.bulk_register"]
    assert sum(batch["count"] for batch in batches) == built.province.subjects
    imports = [json.loads(e.change) for e in events if e.action == "record.import"]
    assert [batch["created"] for batch in imports] == [built.record_count]


def test_a_seed_always_gives_the_same_province() -> None:
    first, again, other = plan_province(5, SCALE), plan_province(5, SCALE), plan_province(6, SCALE)
    assert first == again
    assert [p.resident_id for p in first.persons] != [p.resident_id for p in other.persons]


async def test_demo_accounts_log_in_and_the_partner_key_works(
    client: AsyncTestClient[Litestar], db: Database, settings: Settings
) -> None:
    built = await _build(db, settings)
    bound = {"hospital": built.province.hospital_id, "physician": built.province.physician_id}
    for login in DEMO_LOGINS:
        answer = await client.post(
            "/api/v1/auth/login", json={"username": login.username, "password": login.password}
        )
        assert answer.status_code == 200, (login.username, answer.text)
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        me = (await client.get("/api/v1/auth/whoami", headers=headers)).json()
        assert me["role"] == str(login.role)
        assert me["subject_id"] == bound.get(login.speaks_for)
    partner = {"Authorization": f"Bearer {built.partner_key}"}
    me = (await client.get("/api/v1/auth/whoami", headers=partner)).json()
    assert me["role"] == "partner"
    assert "verify" in me["scopes"]


async def test_the_demo_ingests_credit_records_of_every_kind_none_rejected(
    client: AsyncTestClient[Litestar], db: Database, settings: Settings
) -> None:
    built = await _build(db, settings)  # raises if the ingest engine rejected any row
    async with db.sessionmaker() as session:
        records = (await session.execute(select(CreditRecord))).scalars().all()
    assert len(records) == built.record_count > 100
    categories = Counter(str(record.category) for record in records)
    assert categories == built.records
    assert set(categories) >= {"monitoring", "enforcement", "agreement", "inspection", "positive"}
    assert len({(r.source_system, r.source_ref) for r in records}) == len(records)
    for record in records:
        assert record.occurred_on is None or record.occurred_on <= record.decided_on
        assert "2025-01-01" <= record.decided_on.isoformat() <= "2026-10-31"
        assert (record.rule_code is not None) == (record.category == "monitoring")
    assert any(record.responsible for record in records)

    officer = next(login for login in DEMO_LOGINS if login.username == "demo.officer")
    answer = await client.post(
        "/api/v1/auth/login", json={"username": officer.username, "password": officer.password}
    )
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    url = f"/api/v1/subjects/{built.province.hospital_id}/records"
    page = await client.get(url, headers=headers)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert items
    assert {item["subject_id"] for item in items} == {built.province.hospital_id}


async def test_the_demo_publishes_2025_leaves_2026_q3_in_review_and_saves_a_simulation(
    db: Database, settings: Settings
) -> None:
    built = await _build(db, settings)
    assert built.evaluations is not None
    async with db.sessionmaker() as session:
        published = await runs.get_run(session, built.evaluations.published_run_id)
        in_review = await runs.get_run(session, built.evaluations.in_review_run_id)
        events = await repository.run_events(session, published.id or 0)
        saved = await session.get(Simulation, built.evaluations.simulation_id)
    assert (published.cycle, published.status) == ("2025", "published")
    assert published.publicity_ends_on is not None
    assert published.publicity_ends_on <= business_today()
    # Four eyes: the officer started it, one reviewer opened publicity, another published.
    assert [(e.to_status, e.actor) for e in events] == [
        ("computed", "demo.officer"),
        ("in_review", "demo.officer"),
        ("publicity", "demo.reviewer"),
        ("published", "demo.reviewer2"),
    ]
    assert (in_review.cycle, in_review.status) == ("2026Q3", "in_review")
    assert saved is not None
    assert saved.baseline_run_id == published.id
    assert sum(sum(row.values()) for row in saved.transition_matrix.values()) == saved.population


async def test_a_failed_build_leaves_nothing_behind(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(*_args: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(logins, "create_partner_key", refuse)
    monkeypatch.setattr("api.demo.create_partner_key", refuse)
    with pytest.raises(RuntimeError):
        await _build(db, settings)
    subjects, sites = await _rows(db)
    assert subjects == []
    assert sites == []


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads its settings from the environment, pointed at the test database."""
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(Path(settings.var_dir)))
    app_settings.get_settings.cache_clear()
    yield
    app_settings.get_settings.cache_clear()


async def _run(*args: str) -> Result:
    # The command runs its own event loop, so it needs a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, cli, ["demo", *args])


async def _totals(db: Database) -> tuple[int, int, int]:
    async with db.sessionmaker() as session:
        return (
            (await session.execute(select(func.count()).select_from(Subject))).scalar_one(),
            (await session.execute(select(func.count()).select_from(Account))).scalar_one(),
            (await session.execute(select(func.count()).select_from(ApiKey))).scalar_one(),
        )


@pytest.mark.usefixtures("cli_env")
async def test_cli_prints_counts_and_logins_and_a_second_if_empty_run_adds_nothing(
    db: Database,
) -> None:
    first = await _run("--if-empty", "--scale", str(SCALE), "--seed", "3")
    assert first.exit_code == 0, first.output
    printed = dict(re.findall(r"^\s+([a-z_]+)\s+(\d+)\s", first.output, re.MULTILINE))
    subjects, accounts, keys = await _totals(db)
    assert sum(int(n) for kind, n in printed.items() if kind != "practice_site") == subjects
    assert (accounts, keys) == (len(DEMO_LOGINS), 1)
    assert re.search(r"^Credit records .*: [1-9]\d* \(agreement \d+, ", first.output, re.M)
    for login in DEMO_LOGINS:
        assert f"{login.username} " in first.output
        assert login.password in first.output
    assert first.output.strip().splitlines()[-1].startswith("mck_")

    again = await _run("--if-empty", "--scale", str(SCALE))
    assert again.exit_code == 0, again.output
    assert "no demo data generated" in again.output
    assert all(login.password in again.output for login in DEMO_LOGINS)
    assert "cannot be shown again" in again.output
    assert "mck_" not in again.output
    assert await _totals(db) == (subjects, accounts, keys)

    refused = await _run("--scale", str(SCALE))
    assert refused.exit_code == 1
    assert "already holds subjects" in refused.output
    assert await _totals(db) == (subjects, accounts, keys)
