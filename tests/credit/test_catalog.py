"""The catalog: materialised per pack version, looked up by business date, listed with filters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.catalog import service as catalog
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today
from credit.kernel.errors import NotFound
from credit.policy import regime
from credit.policy import service as policy
from credit.policy.models import PackVersion
from credit.policy.vocabulary import Category, Severity

ALICE = Actor(role=Role.ADMIN, name="alice", account_id=1)
BOB = Actor(role=Role.ADMIN, name="bob", account_id=2)
NATIONAL_FROM = date(2021, 5, 1)


def in_days(days: int) -> date:
    return business_today() + timedelta(days=days)


async def activate_changed(db: Database, source: PackVersion, effective_from: date) -> PackVersion:
    """A second national version where split admission is serious and bed-holding has ended."""
    document: dict[str, Any] = regime.document_of(source).model_dump(mode="json")
    for entry in document["catalog"]:
        if entry["code"] == "ENF-38-SPLIT-ADMISSION":
            entry["severity"] = "serious"
        if entry["code"] == "ENF-38-BED-HOLDING":
            entry["effective_to"] = (effective_from + timedelta(days=30)).isoformat()
    async with db.transaction() as session:
        version = await policy.create_draft(
            session,
            ALICE,
            code="national",
            title="v2",
            effective_from=effective_from,
            document=document,
        )
        assert version.id is not None
        await policy.submit(session, ALICE, version.id)
        return await policy.approve(session, BOB, version.id)


def national(defaults: list[PackVersion]) -> PackVersion:
    return next(version for version in defaults if version.code == "national")


async def test_item_for_finds_the_item_of_the_regime_in_force(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    first = national(policy_defaults)
    second = await activate_changed(db, first, in_days(10))
    async with db.transaction() as session:
        old = await catalog.item_for(session, "ENF-38-SPLIT-ADMISSION", in_days(9))
        new = await catalog.item_for(session, "ENF-38-SPLIT-ADMISSION", in_days(10))
        first_day = await catalog.item_for(session, "ENF-40-FICTITIOUS-SERVICES", NATIONAL_FROM)
    assert (old.pack_version_id, old.severity) == (first.id, "general")
    assert (new.pack_version_id, new.severity) == (second.id, "serious")
    assert (new.publication_min_months, new.publication_max_months) == (12, 36)
    assert first_day.severity == "serious"
    assert first_day.subject_kinds == ",medical_institution,retail_pharmacy,"


async def test_item_for_names_item_code_when_there_is_no_such_item(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    await activate_changed(db, national(policy_defaults), in_days(10))
    async with db.transaction() as session:
        with pytest.raises(NotFound) as unknown:
            await catalog.item_for(session, "ENF-99-NOTHING", in_days(1))
        with pytest.raises(NotFound) as ended:
            await catalog.item_for(session, "ENF-38-BED-HOLDING", in_days(41))
        with pytest.raises(NotFound) as too_early:
            await catalog.item_for(session, "ENF-38-BED-HOLDING", date(2020, 1, 1))
        still_there = await catalog.item_for(session, "ENF-38-BED-HOLDING", in_days(40))
    assert (unknown.value.field, unknown.value.rule) == ("item_code", "known_item")
    assert (ended.value.field, ended.value.rule) == ("item_code", "item_in_force")
    assert too_early.value.rule == "regime_in_force"
    assert still_there.code == "ENF-38-BED-HOLDING"


@pytest.mark.parametrize(
    ("filters", "expect"),
    [
        ({"category": Category.MONITORING}, lambda item: item.category == "monitoring"),
        ({"severity": Severity.SERIOUS}, lambda item: item.severity == "serious"),
        ({"subject_kind": "insured_person"}, lambda item: "insured_person" in item.kinds),
        (
            {"category": Category.ENFORCEMENT, "subject_kind": "insured_person"},
            lambda item: item.code.startswith("ENF-41-"),
        ),
    ],
)
async def test_listing_filters(
    db: Database, policy_defaults: list[PackVersion], filters: dict[str, Any], expect: Any
) -> None:
    async with db.transaction() as session:
        everything = await catalog.items(session)
        chosen = await catalog.items(session, **filters)
    assert chosen.items
    assert all(expect(item) for item in chosen.items)
    assert [item.code for item in chosen.items] == [
        item.code for item in everything.items if expect(item)
    ]


async def test_listing_by_version_and_by_date(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    second = await activate_changed(db, national(policy_defaults), in_days(10))
    async with db.transaction() as session:
        today = await catalog.items(session)
        version_two = await catalog.items(session, version=2)
        late = await catalog.items(session, on=in_days(60))
        with pytest.raises(NotFound) as never:
            await catalog.items(session, version=7)
    assert today.version.version == 1
    assert version_two.version.id == second.id
    assert "ENF-38-BED-HOLDING" in {item.code for item in version_two.items}
    assert "ENF-38-BED-HOLDING" not in {item.code for item in late.items}
    assert never.value.rule == "activated_version"


async def test_the_catalog_api_is_public(
    client: AsyncTestClient[Litestar], policy_defaults: list[PackVersion]
) -> None:
    answer = await client.get(
        "/api/v1/catalog/items", params={"category": "agreement", "subject_kind": "physician"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["pack_code"] == "national"
    codes = {item["code"] for item in body["items"]}
    assert {"AGR-INTERVIEW", "AGR-SUSPEND-STAFF"} <= codes
    first = body["items"][0]
    for field in ("code", "category", "severity", "subject_kinds", "name_zh", "legal_basis"):
        assert field in first
    assert {"publication_min_months", "publication_max_months", "repairable"} <= set(first)

    one = await client.get("/api/v1/catalog/items/ENF-40-FICTITIOUS-SERVICES")
    assert one.status_code == 200
    assert one.json()["name_zh"] == "虚构医药服务项目"


async def test_the_catalog_api_names_bad_filters(
    client: AsyncTestClient[Litestar], policy_defaults: list[PackVersion]
) -> None:
    kind = await client.get("/api/v1/catalog/items", params={"subject_kind": "spaceship"})
    assert kind.status_code == 422
    assert (kind.json()["field"], kind.json()["rule"]) == ("subject_kind", "known_kind")
    category = await client.get("/api/v1/catalog/items", params={"category": "gossip"})
    assert category.status_code == 400
    missing = await client.get("/api/v1/catalog/items/ENF-99-NOTHING")
    assert missing.status_code == 404
    assert missing.json()["field"] == "item_code"
