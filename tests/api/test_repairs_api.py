"""The repair API: eligibility before filing, the commitment letter, documents, four-eyes."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from tests.conftest import AuthHeaders
from tests.repair.support import PDF, add_record, ago, hospital, seed

REPAIRS = "/api/v1/repairs"


async def test_a_repair_through_the_api(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    own = await hospital(db, 1)
    record_id = await add_record(
        db, own, "ENF-38-SPLIT-ADMISSION", ago(200), "r", fine_amount="8000"
    )
    subject = await auth_headers("subject", subject_id=own)
    stranger = await auth_headers("subject", subject_id=await hospital(db, 2))
    officer, reviewer = await auth_headers("officer"), await auth_headers("reviewer")
    other_reviewer = await auth_headers("reviewer")

    shown = await client.get(f"{REPAIRS}/eligibility?record_id={record_id}", headers=subject)
    assert shown.status_code == 200, shown.text
    assert shown.json()["eligible"] is True
    assert shown.json()["documents_required"] == ["obligations", "commitment"]
    hidden = await client.get(f"{REPAIRS}/eligibility?record_id={record_id}", headers=stranger)
    assert hidden.status_code == 404

    filed = await client.post(
        REPAIRS,
        json={"target_type": "record", "target_id": record_id, "statement": "已缴纳罚款并整改"},
        headers=subject,
    )
    assert filed.status_code == 201, filed.text
    repair = f"{REPAIRS}/{filed.json()['id']}"
    assert filed.json()["deadline"]["working_days_left"] == 2
    letter = await client.get(f"{repair}/commitment", headers=subject)
    assert letter.status_code == 200
    assert "信用修复承诺书" in letter.text
    assert "测试医院1" in letter.text
    missing = await client.post(f"{repair}/transitions", json={"to": "accepted"}, headers=officer)
    assert (missing.status_code, missing.json()["rule"]) == (409, "documents_missing")
    for purpose in ("commitment", "obligation"):
        sent = await client.post(
            f"{repair}/evidence?purpose={purpose}",
            files={"file": (f"{purpose}.pdf", PDF, "application/pdf")},
            headers=subject,
        )
        assert sent.status_code == 201, sent.text
    for to, who in (("accepted", reviewer), ("under_review", officer)):
        moved = await client.post(f"{repair}/transitions", json={"to": to}, headers=who)
        assert moved.status_code == 200, moved.text
    same = await client.post(f"{repair}/transitions", json={"to": "approved"}, headers=reviewer)
    assert (same.status_code, same.json()["rule"]) == (403, "four_eyes")
    approved = await client.post(
        f"{repair}/transitions", json={"to": "approved"}, headers=other_reviewer
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["score_effect"] == "next_cycle"
    record = await client.get(f"/api/v1/records/{record_id}", headers=subject)
    assert record.json()["status"] == "repaired"
    assert record.json()["is_public"] is False
    mine = await client.get(REPAIRS, headers=subject)
    assert [item["id"] for item in mine.json()["items"]] == [filed.json()["id"]]
    assert (await client.get(REPAIRS, headers=stranger)).json()["items"] == []


@pytest.mark.parametrize(
    ("item", "days", "rule"),
    [
        ("ENF-43-MANAGEMENT-BAN", 400, "not_repairable"),
        ("ENF-40-OTHER-FRAUD", 60, "minimum_period"),
    ],
)
async def test_refused_repairs_name_the_rule_and_change_nothing(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    item: str,
    days: int,
    rule: str,
) -> None:
    await seed(db)
    own = await hospital(db, 1)
    record_id = await add_record(db, own, item, ago(days), "r")
    subject = await auth_headers("subject", subject_id=own)
    shown = await client.get(f"{REPAIRS}/eligibility?record_id={record_id}", headers=subject)
    unmet = [c for c in shown.json()["conditions"] if c["status"] == "unmet"]
    assert [c["code"] for c in unmet] == [rule]
    refused = await client.post(
        REPAIRS,
        json={"target_type": "record", "target_id": record_id, "statement": "已整改"},
        headers=subject,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["rule"] == rule
    if rule == "minimum_period":
        assert refused.json()["earliest_on"] == unmet[0]["on"]
    assert (await client.get(REPAIRS, headers=await auth_headers("officer"))).json()["items"] == []


async def test_eligibility_names_one_target(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    officer = await auth_headers("officer")
    neither = await client.get(f"{REPAIRS}/eligibility", headers=officer)
    assert (neither.status_code, neither.json()["rule"]) == (422, "one_target")
    both = await client.get(f"{REPAIRS}/eligibility?record_id=1&list_entry_id=1", headers=officer)
    assert both.status_code == 422
    unknown = await client.get(f"{REPAIRS}/eligibility?record_id=999", headers=officer)
    assert unknown.status_code == 404
    no_statement = await client.post(
        REPAIRS, json={"target_type": "record", "target_id": 1}, headers=officer
    )
    assert (no_statement.status_code, no_statement.json()["field"]) == (422, "statement")
