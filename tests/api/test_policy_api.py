"""`/api/v1/policy-packs`: regulators read, admins draft, submit and approve (four-eyes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from credit.kernel.clock import business_today
from credit.policy.loader import shipped_packs
from credit.policy.models import PackVersion
from tests.conftest import AuthHeaders

PACKS = "/api/v1/policy-packs"


def national_document() -> dict[str, Any]:
    pack = next(pack for pack in shipped_packs() if pack.code == "national")
    return pack.document.model_dump(mode="json")


def soon(days: int = 7) -> str:
    return (business_today() + timedelta(days=days)).isoformat()


def new_draft(document: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "code": "national",
        "title": "国家默认医保信用政策包（修订）",
        "effective_from": soon(),
        "document": document or national_document(),
    }


async def test_regulators_read_and_only_admins_write(
    client: AsyncTestClient[Litestar],
    auth_headers: AuthHeaders,
    policy_defaults: list[PackVersion],
) -> None:
    officer = await auth_headers("officer")
    listed = await client.get(PACKS, params={"status": "active"}, headers=officer)
    assert listed.status_code == 200
    assert {item["code"] for item in listed.json()["items"]} == {
        version.code for version in policy_defaults
    }
    assert "document" not in listed.json()["items"][0]
    one = await client.get(f"{PACKS}/{policy_defaults[0].id}", headers=officer)
    assert one.status_code == 200
    assert one.json()["document"]["kind"] in ("national", "evaluation_profile")
    assert [event["to_status"] for event in one.json()["events"]] == [
        "draft",
        "submitted",
        "active",
    ]
    refused = await client.post(PACKS, json=new_draft(), headers=officer)
    assert refused.status_code == 403
    anonymous = await client.get(PACKS)
    assert anonymous.status_code == 401


async def test_draft_submit_and_approve_by_a_second_admin(
    client: AsyncTestClient[Litestar],
    auth_headers: AuthHeaders,
    policy_defaults: list[PackVersion],
) -> None:
    author, approver = await auth_headers("admin"), await auth_headers("admin")
    created = await client.post(PACKS, json=new_draft(), headers=author)
    assert created.status_code == 201, created.text
    pack_id = created.json()["id"]
    assert (created.json()["version"], created.json()["status"]) == (2, "draft")

    submitted = await client.post(f"{PACKS}/{pack_id}/submit", headers=author)
    assert submitted.json()["status"] == "submitted"
    own = await client.post(f"{PACKS}/{pack_id}/approve", headers=author)
    assert own.status_code == 403
    assert own.json()["rule"] == "four_eyes"

    approved = await client.post(
        f"{PACKS}/{pack_id}/approve", json={"reason": "审核通过"}, headers=approver
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active"
    assert approved.json()["events"][-1]["reason"] == "审核通过"
    national = next(version for version in policy_defaults if version.code == "national")
    old = await client.get(f"{PACKS}/{national.id}", headers=approver)
    assert (old.json()["code"], old.json()["status"]) == ("national", "superseded")

    frozen = await client.patch(f"{PACKS}/{pack_id}", json={"title": "changed"}, headers=author)
    assert frozen.status_code == 409
    assert frozen.json()["rule"] == "only_drafts_change"
    gone = await client.post(f"{PACKS}/{pack_id}/withdraw", headers=author)
    assert gone.status_code == 409
    assert gone.json()["rule"] == "transition"


async def test_a_bad_document_is_422_with_path_and_rule_and_nothing_written(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    document = national_document()
    document["catalog"][7]["severity"] = "catastrophic"
    document["catalog"][2]["code"] = document["catalog"][1]["code"]
    document["personnel_points"]["surprise"] = True
    answer = await client.post(PACKS, json=new_draft(document), headers=admin)
    assert answer.status_code == 422
    problems = {(p["path"], p["rule"]) for p in answer.json()["problems"]}
    assert problems == {
        ("document.catalog[7].severity", "known_value"),
        ("document.personnel_points.surprise", "unknown_key"),
    }
    # Cross-item rules run once the document's shape is right.
    del document["personnel_points"]["surprise"]
    document["catalog"][7]["severity"] = "general"
    duplicate = await client.post(PACKS, json=new_draft(document), headers=admin)
    assert duplicate.status_code == 422
    assert (duplicate.json()["field"], duplicate.json()["rule"]) == (
        "document.catalog[2].code",
        "duplicate_code",
    )
    listed = await client.get(PACKS, headers=admin)
    assert listed.json()["items"] == []


async def test_patching_a_draft_revalidates_it(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    pack_id = (await client.post(PACKS, json=new_draft(), headers=admin)).json()["id"]
    document = national_document()
    document["remedies"]["objection"]["decide_within_working_days"] = 15
    changed = await client.patch(
        f"{PACKS}/{pack_id}",
        json={"document": document, "effective_from": soon(30)},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["document"]["remedies"]["objection"]["decide_within_working_days"] == 15
    assert changed.json()["effective_from"] == soon(30)
    document["severity_tiers"]["serious"]["publication"]["min_months"] = 48
    bad = await client.patch(f"{PACKS}/{pack_id}", json={"document": document}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["field"] == "document.severity_tiers.serious.publication"
    assert bad.json()["rule"] == "min_le_max"


async def test_copy_and_withdraw(
    client: AsyncTestClient[Litestar],
    auth_headers: AuthHeaders,
    policy_defaults: list[PackVersion],
) -> None:
    admin = await auth_headers("admin")
    hunan = next(version for version in policy_defaults if version.code == "hunan-2024")
    copied = await client.post(
        PACKS, json={"copy_from": hunan.id, "effective_from": soon()}, headers=admin
    )
    assert copied.status_code == 201, copied.text
    assert (copied.json()["code"], copied.json()["sha256"]) == ("hunan-2024", hunan.sha256)
    withdrawn = await client.post(
        f"{PACKS}/{copied.json()['id']}/withdraw", json={"reason": "not needed"}, headers=admin
    )
    assert withdrawn.json()["status"] == "withdrawn"
    listed = await client.get(PACKS, params={"status": "withdrawn"}, headers=admin)
    assert [item["id"] for item in listed.json()["items"]] == [copied.json()["id"]]

    both = await client.post(PACKS, json={**new_draft(), "copy_from": hunan.id}, headers=admin)
    assert both.status_code == 400
    missing = await client.post(
        PACKS, json={"copy_from": 999_999, "effective_from": soon()}, headers=admin
    )
    assert missing.status_code == 404
