"""The records API: submit, read as of a moment, history, corrections, revocations, credit files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from api.settings import Settings
from credit.audit.models import AuditEvent
from credit.kernel.clock import business_today
from credit.policy.models import PackVersion
from credit.records import service
from credit.records.models import CreditRecord
from tests.conftest import AuthHeaders
from tests.credit.test_records import REVIEWER, World, count, make_world, payload

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def world(db: Database, settings: Settings, policy_defaults: list[PackVersion]) -> World:
    return await make_world(db, settings, policy_defaults)


def recent(world: World, days_ago: int = 10, **changes: Any) -> dict[str, Any]:
    """A record decided `days_ago`, so its publication window is open today."""
    day = (business_today() - timedelta(days=days_ago)).isoformat()
    return payload(world, decided_on=day, occurred_on=day, **changes)


async def test_submitting_answers_created_then_unchanged_then_conflict(
    client: Client, db: Database, world: World, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    body = recent(world)
    created = await client.post("/api/v1/records", json=body, headers=officer)
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["created"], record["unchanged"]) == (True, False)
    assert (record["status"], record["under_objection"], record["is_public"]) == (
        "active",
        False,
        True,
    )
    assert record["amount_involved"] == "12345.60"
    assert record["category"] == "enforcement"
    assert record["responsible"][0] == {
        "subject_id": world.physician,
        "tier": "principal",
        "name": "测试physician",
        "kind": "physician",
        "resident_id": world.physician_resident_id,  # a regulator sees it whole
        "nhsa_code": None,
    }

    again = await client.post("/api/v1/records", json=body, headers=officer)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["unchanged"]) == (record["id"], True)

    conflict = await client.post(
        "/api/v1/records", json={**body, "fine_amount": "1"}, headers=officer
    )
    assert conflict.status_code == 409
    problem = conflict.json()
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert (problem["field"], problem["rule"], problem["existing_id"]) == (
        "source_ref",
        "same_payload",
        record["id"],
    )
    assert await count(db, CreditRecord) == 1


async def test_a_refused_record_lists_every_rule_and_writes_nothing(
    client: Client, db: Database, world: World, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    events = await count(db, AuditEvent)
    answer = await client.post(
        "/api/v1/records",
        json=payload(world, subject_id=999_999, item_code="NO-SUCH", occurred_on="2025-04-01"),
        headers=officer,
    )
    assert answer.status_code == 422
    errors = {(error["field"], error["rule"]) for error in answer.json()["errors"]}
    assert errors == {
        ("subject_id", "exists"),
        ("item_code", "known_item"),
        ("occurred_on", "occurred_before_decision"),
    }
    shape = await client.post(
        "/api/v1/records", json=payload(world, fine_amount="1.005", extra=1), headers=officer
    )
    assert shape.status_code == 422
    assert {(error["field"], error["rule"]) for error in shape.json()["errors"]} == {
        ("fine_amount", "max_2_decimal_places"),
        ("extra", "unknown_field"),
    }
    assert await count(db, CreditRecord) == 0
    assert await count(db, AuditEvent) == events


async def test_corrections_revocations_history_and_as_of(
    client: Client, world: World, auth_headers: AuthHeaders
) -> None:
    officer, reviewer = await auth_headers("officer"), await auth_headers("reviewer")
    own = await auth_headers("subject", subject_id=world.hospital)
    record = (await client.post("/api/v1/records", json=recent(world), headers=officer)).json()
    url = f"/api/v1/records/{record['id']}"

    no_reason = await client.post(f"{url}/corrections", json={"fine_amount": "1"}, headers=reviewer)
    assert no_reason.status_code == 422
    assert (no_reason.json()["field"], no_reason.json()["rule"]) == ("reason", "required")

    corrected = await client.post(
        f"{url}/corrections",
        json={"reason": "金额录入错误", "amount_involved": "999.99"},
        headers=reviewer,
    )
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["status"], corrected.json()["amount_involved"]) == (
        "corrected",
        "999.99",
    )
    revised_at = corrected.json()["revised_at"]

    revoked = await client.post(f"{url}/revocations", json={"reason": "异议成立"}, headers=reviewer)
    assert revoked.status_code == 201
    assert (revoked.json()["status"], revoked.json()["is_public"]) == ("revoked", False)
    again = await client.post(f"{url}/revocations", json={"reason": "again"}, headers=reviewer)
    assert (again.status_code, again.json()["rule"]) == (409, "transition")

    then = await client.get(url, params={"as_of": revised_at}, headers=officer)
    assert (then.json()["status"], then.json()["amount_involved"]) == ("corrected", "999.99")
    first = await client.get(url, params={"as_of": record["recorded_at"]}, headers=officer)
    assert (first.json()["status"], first.json()["amount_involved"]) == ("active", "12345.60")

    revisions = (await client.get(f"{url}/history", headers=officer)).json()["items"]
    assert [(r["revision"], r["status"], r["reason"]) for r in revisions] == [
        (1, "active", "recorded from the API"),
        (2, "corrected", "金额录入错误"),
        (3, "revoked", "异议成立"),
    ]
    assert [r["actor"] for r in revisions] == ["officer1", "reviewer2", "reviewer2"]
    assert revisions[1]["changes"]["amount_involved"] == {"from": "12345.60", "to": "999.99"}
    # The subject reads its own record's history, with roles instead of officials' names.
    seen_by_subject = (await client.get(f"{url}/history", headers=own)).json()["items"]
    assert [(r["actor"], r["actor_role"]) for r in seen_by_subject][1] == (None, "reviewer")


async def test_the_credit_file_pages_filters_and_reads_as_of(
    client: Client, db: Database, world: World, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    ids = []
    for item, days_ago in (
        ("ENF-38-SPLIT-ADMISSION", 40),
        ("ENF-40-OTHER-FRAUD", 30),
        ("AGR-RECOVER", 20),
        ("AGR-INTERVIEW", 10),
    ):
        answer = await client.post(
            "/api/v1/records", json=recent(world, days_ago, item_code=item), headers=officer
        )
        ids.append(answer.json()["id"])
    last_known = answer.json()["recorded_at"]
    await client.post(
        "/api/v1/records", json=recent(world, subject_id=world.other_hospital), headers=officer
    )
    late = await client.post("/api/v1/records", json=recent(world, 5), headers=officer)
    async with db.transaction() as session:
        await service.set_under_objection(session, REVIEWER, ids[0], "objection filed")
    url = f"/api/v1/subjects/{world.hospital}/records"

    seen, cursor = [], None
    while True:
        page = (
            await client.get(
                url, params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=officer
            )
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [late.json()["id"], *reversed(ids)]

    async def listed(**params: Any) -> list[int]:
        answer = await client.get(url, params=params, headers=officer)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert await listed(category="agreement") == [ids[3], ids[2]]
    assert await listed(severity="serious") == [ids[1]]
    assert await listed(status="under_objection") == [ids[0]]
    day = (business_today() - timedelta(days=30)).isoformat()
    assert await listed(decided_from=day, decided_to=day) == [ids[1]]
    assert await listed(as_of=last_known) == list(reversed(ids))
    flagged = (await client.get(url, params={"status": "under_objection"}, headers=officer)).json()
    assert (flagged["items"][0]["status"], flagged["items"][0]["under_objection"]) == (
        "under_objection",
        True,
    )


async def test_a_subject_reads_only_its_own_file_with_staff_identifiers_masked(
    client: Client, world: World, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    own = await auth_headers("subject", subject_id=world.hospital)
    record = (await client.post("/api/v1/records", json=recent(world), headers=officer)).json()
    other = (
        await client.post(
            "/api/v1/records", json=recent(world, subject_id=world.other_hospital), headers=officer
        )
    ).json()

    mine = await client.get(f"/api/v1/subjects/{world.hospital}/records", headers=own)
    assert mine.status_code == 200
    person = mine.json()["items"][0]["responsible"][0]
    assert person["resident_id"] != world.physician_resident_id
    assert person["resident_id"].startswith(world.physician_resident_id[:6])
    assert person["resident_id"].endswith(world.physician_resident_id[-4:])
    assert "*" in person["resident_id"]
    assert (await client.get(f"/api/v1/records/{record['id']}", headers=own)).status_code == 200

    for path in (
        f"/api/v1/subjects/{world.other_hospital}/records",
        f"/api/v1/records/{other['id']}",
        f"/api/v1/records/{other['id']}/history",
        f"/api/v1/subjects/{world.physician}/records",
    ):
        answer = await client.get(path, headers=own)
        assert answer.status_code == 404, path
    missing = await client.get("/api/v1/subjects/999999/records", headers=officer)
    assert missing.status_code == 404


async def test_only_officers_submit_and_only_regulators_correct(
    client: Client, db: Database, world: World, auth_headers: AuthHeaders
) -> None:
    reviewer = await auth_headers("reviewer")
    own = await auth_headers("subject", subject_id=world.hospital)
    assert (
        await client.post("/api/v1/records", json=recent(world), headers=reviewer)
    ).status_code == 403
    assert (
        await client.post("/api/v1/records", json=recent(world), headers=own)
    ).status_code == 403
    assert await count(db, CreditRecord) == 0
