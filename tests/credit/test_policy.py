"""Pack versions: the workflow, four-eyes, frozen active versions, effective-dated regimes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from api.db import Database
from credit.audit.models import AuditEvent
from credit.catalog.models import CatalogItem
from credit.kernel.actor import SYSTEM_ACTOR, Actor, Role
from credit.kernel.clock import business_today
from credit.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit.policy import regime, service
from credit.policy.loader import shipped_packs
from credit.policy.models import PackStatus, PackVersion
from credit.policy.workflow import ALLOWED_TRANSITIONS

ALICE = Actor(role=Role.ADMIN, name="alice", account_id=1)
BOB = Actor(role=Role.ADMIN, name="bob", account_id=2)
CAROL = Actor(role=Role.ADMIN, name="carol", account_id=3)


def document(code: str = "national") -> dict[str, Any]:
    pack = next(pack for pack in shipped_packs() if pack.code == code)
    return pack.document.model_dump(mode="json")


def in_days(days: int) -> date:
    return business_today() + timedelta(days=days)


async def draft(db: Database, code: str = "national", *, effective_in: int = 10) -> PackVersion:
    async with db.transaction() as session:
        return await service.create_draft(
            session,
            ALICE,
            code=code,
            title=f"{code} test",
            effective_from=in_days(effective_in),
            document=document(code if code == "national" else "hunan-2024"),
        )


async def activate(db: Database, version: PackVersion) -> PackVersion:
    assert version.id is not None
    async with db.transaction() as session:
        await service.submit(session, ALICE, version.id)
        return await service.approve(session, BOB, version.id)


async def in_state(db: Database, state: PackStatus) -> PackVersion:
    """A version of a fresh code brought to `state` by the workflow itself."""
    version = await draft(db, f"pack-{state}")
    assert version.id is not None
    async with db.transaction() as session:
        if state in (PackStatus.SUBMITTED, PackStatus.ACTIVE, PackStatus.SUPERSEDED):
            await service.submit(session, ALICE, version.id)
        if state in (PackStatus.ACTIVE, PackStatus.SUPERSEDED):
            await service.approve(session, BOB, version.id)
        if state is PackStatus.WITHDRAWN:
            await service.withdraw(session, ALICE, version.id)
    if state is PackStatus.SUPERSEDED:
        await activate(db, await draft(db, f"pack-{state}", effective_in=20))
    async with db.transaction() as session:
        return await service.get_version(session, version.id)


async def test_shipped_defaults_are_activated_once(db: Database) -> None:
    async with db.transaction() as session:
        first = await service.ensure_defaults(session)
    async with db.transaction() as session:
        second = await service.ensure_defaults(session)
        items = (await session.execute(select(func.count()).select_from(CatalogItem))).scalar()
        audited = await session.execute(
            select(func.count()).where(AuditEvent.action == "policy_pack.active")
        )
    assert sorted(version.code for version in first) == [
        "guangdong-2024",
        "hunan-2024",
        "inner-mongolia-2025",
        "national",
    ]
    assert all(version.status == PackStatus.ACTIVE for version in first)
    assert all(version.approved_by == "system" for version in first)
    assert second == []
    assert items == len(document()["catalog"])
    assert audited.scalar() == 4


@pytest.mark.parametrize("start", list(PackStatus))
@pytest.mark.parametrize("target", [PackStatus.SUBMITTED, PackStatus.ACTIVE, PackStatus.WITHDRAWN])
async def test_each_transition_is_allowed_or_refused_by_the_table(
    db: Database, start: PackStatus, target: PackStatus
) -> None:
    version = await in_state(db, start)
    assert version.id is not None
    move = {
        PackStatus.SUBMITTED: lambda s: service.submit(s, ALICE, version.id),
        PackStatus.ACTIVE: lambda s: service.approve(s, CAROL, version.id),
        PackStatus.WITHDRAWN: lambda s: service.withdraw(s, ALICE, version.id),
    }[target]
    if target in ALLOWED_TRANSITIONS[start]:
        async with db.transaction() as session:
            moved = await move(session)
        assert moved.status == target
        async with db.transaction() as session:
            events = await service.events(session, version.id)
        assert (events[-1].from_status, events[-1].to_status) == (start, target)
    else:
        with pytest.raises(Conflict) as refused:
            async with db.transaction() as session:
                await move(session)
        assert refused.value.rule == "transition"
        assert refused.value.extra["current_status"] == start


@pytest.mark.parametrize("author", ["creator", "editor", "submitter"])
async def test_four_eyes_refuses_anyone_who_wrote_or_submitted(db: Database, author: str) -> None:
    version = await draft(db)
    assert version.id is not None
    async with db.transaction() as session:
        if author == "editor":
            await service.update_draft(session, BOB, version.id, title="edited by bob")
        await service.submit(session, CAROL if author == "submitter" else ALICE, version.id)
    approver = {"creator": ALICE, "editor": BOB, "submitter": CAROL}[author]
    with pytest.raises(Forbidden) as refused:
        async with db.transaction() as session:
            await service.approve(session, approver, version.id)
    assert refused.value.rule == "four_eyes"
    independent = Actor(role=Role.ADMIN, name="dave", account_id=4)
    async with db.transaction() as session:
        approved = await service.approve(session, independent, version.id)
    assert (approved.status, approved.approved_by) == (PackStatus.ACTIVE, "dave")


@pytest.mark.parametrize("state", [PackStatus.SUBMITTED, PackStatus.ACTIVE, PackStatus.SUPERSEDED])
async def test_only_drafts_change(db: Database, state: PackStatus) -> None:
    version = await in_state(db, state)
    assert version.id is not None
    with pytest.raises(Conflict) as refused:
        async with db.transaction() as session:
            await service.update_draft(session, ALICE, version.id, title="changed")
    assert refused.value.rule == "only_drafts_change"
    async with db.transaction() as session:
        unchanged = await service.get_version(session, version.id)
    assert (unchanged.title, unchanged.sha256) == (version.title, version.sha256)


async def test_a_draft_edit_is_revalidated_and_rehashed(db: Database) -> None:
    version = await draft(db)
    assert version.id is not None
    changed = document()
    changed["remedies"]["repair"]["decide_within_working_days"] = 20
    async with db.transaction() as session:
        edited = await service.update_draft(session, BOB, version.id, document=changed)
    assert edited.sha256 != version.sha256
    assert edited.updated_by == "bob"
    changed["catalog"][0]["severity"] = "catastrophic"
    with pytest.raises(InvalidInput) as refused:
        async with db.transaction() as session:
            await service.update_draft(session, BOB, version.id, document=changed)
    assert (refused.value.field, refused.value.rule) == (
        "document.catalog[0].severity",
        "known_value",
    )


async def test_a_bad_document_writes_nothing(db: Database) -> None:
    broken = document()
    broken["catalog"][0]["code"] = broken["catalog"][1]["code"]
    with pytest.raises(InvalidInput):
        async with db.transaction() as session:
            await service.create_draft(
                session,
                ALICE,
                code="national",
                title="x",
                effective_from=in_days(1),
                document=broken,
            )
    async with db.transaction() as session:
        assert await regime.versions(session) == []


async def test_activation_is_never_retroactive_for_people(db: Database) -> None:
    version = await draft(db, effective_in=-1)
    assert version.id is not None
    async with db.transaction() as session:
        await service.submit(session, ALICE, version.id)
    with pytest.raises(Conflict) as refused:
        async with db.transaction() as session:
            await service.approve(session, BOB, version.id)
    assert (refused.value.field, refused.value.rule) == (
        "effective_from",
        "no_retroactive_activation",
    )


async def test_every_version_of_a_code_has_the_same_kind(db: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        async with db.transaction() as session:
            await service.create_draft(
                session,
                ALICE,
                code="national",
                title="a profile posing as national rules",
                effective_from=in_days(1),
                document=document("hunan-2024"),
            )
    assert refused.value.rule == "same_kind"


async def test_regime_for_dates_before_between_and_after_two_versions(db: Database) -> None:
    first = await activate(db, await draft(db, effective_in=10))
    second = await activate(db, await draft(db, effective_in=40))
    async with db.transaction() as session:
        with pytest.raises(NotFound) as before:
            await regime.regime_at(session, "national", in_days(9))
        between = await regime.regime_at(session, "national", in_days(39))
        on_the_day = await regime.regime_at(session, "national", in_days(40))
        after = await regime.regime_at(session, "national", in_days(4000))
        older = await service.get_version(session, first.id or 0)
    assert before.value.rule == "regime_in_force"
    assert (between.id, on_the_day.id, after.id) == (first.id, second.id, second.id)
    # Superseded, yet still the rules for the dates before its successor takes effect.
    assert older.status == PackStatus.SUPERSEDED


async def test_the_version_approved_last_wins_on_the_same_day(db: Database) -> None:
    await activate(db, await draft(db, effective_in=5))
    later = await activate(db, await draft(db, effective_in=5))
    async with db.transaction() as session:
        assert (await regime.regime_at(session, "national", in_days(5))).id == later.id


async def test_typed_accessors_name_the_version_used(db: Database) -> None:
    async with db.transaction() as session:
        await service.ensure_defaults(session)
        rules = await regime.national_rules(session)
        hunan = await regime.profile_rules(session, "hunan-2024")
        current = await regime.current(session)
        with pytest.raises(InvalidInput) as wrong_kind:
            regime.profile_of(current)
    assert rules.version_id == current.id
    assert rules.pack.personnel_points.termination.at_points == 12
    assert hunan.profile.scale == 100
    assert wrong_kind.value.rule == "pack_kind"


async def test_copy_makes_a_new_draft_of_the_same_document(db: Database) -> None:
    async with db.transaction() as session:
        (source, *_) = [v for v in await service.ensure_defaults(session) if v.code == "national"]
        assert source.id is not None
        copied = await service.copy_version(session, BOB, source.id, effective_from=in_days(3))
    assert (copied.code, copied.version, copied.status) == ("national", 2, PackStatus.DRAFT)
    assert copied.sha256 == source.sha256
    assert SYSTEM_ACTOR.name not in {copied.created_by, copied.updated_by}
