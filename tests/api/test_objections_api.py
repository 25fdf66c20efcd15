"""The objection API: a subject disputes its record; officers accept, reviewers decide; evidence
is checked by content and shown only to the subject and regulators."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from api.settings import Settings
from tests.conftest import AuthHeaders
from tests.repair.support import EXE, PDF, PNG, add_record, ago, hospital, seed

OBJECTIONS = "/api/v1/objections"
LIMIT = 64 * 1024


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The test settings with a small evidence limit, so an oversized file is cheap to send."""
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough",
        var_dir=tmp_path / "var",
        evidence_max_bytes=LIMIT,
    )


async def _accounts(db: Database, auth_headers: AuthHeaders) -> dict[str, object]:
    await seed(db)
    own, other = await hospital(db, 1), await hospital(db, 2)
    return {
        "own": own,
        "other": other,
        "record": await add_record(db, own, "ENF-38-SPLIT-ADMISSION", ago(40), "r1"),
        "old": await add_record(db, own, "ENF-39-RECORD-KEEPING", ago(200), "r2"),
        "subject": await auth_headers("subject", subject_id=own),
        "stranger": await auth_headers("subject", subject_id=other),
        "officer": await auth_headers("officer"),
        "officer2": await auth_headers("officer"),
        "reviewer": await auth_headers("reviewer"),
    }


async def test_an_objection_through_the_api(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    a = await _accounts(db, auth_headers)
    filed = await client.post(
        OBJECTIONS,
        json={"target_type": "record", "target_id": a["record"], "grounds": "处罚决定已撤销"},
        headers=a["subject"],
    )
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["status"] == "submitted"
    assert body["deadline"]["working_days_left"] == 2
    assert body["deadline"]["exact"] is True
    assert [e["action"] for e in body["events"]] == ["submitted"]
    objection = f"{OBJECTIONS}/{body['id']}"

    mine = await client.get(OBJECTIONS, headers=a["subject"])
    assert [item["id"] for item in mine.json()["items"]] == [body["id"]]
    theirs = await client.get(OBJECTIONS, headers=a["stranger"])
    assert theirs.json()["items"] == []
    assert (await client.get(objection, headers=a["stranger"])).status_code == 404
    refused = await client.post(
        f"{objection}/transitions", json={"to": "accepted"}, headers=a["subject"]
    )
    assert refused.status_code == 403

    for to, who in (("accepted", "officer"), ("under_review", "officer2")):
        moved = await client.post(f"{objection}/transitions", json={"to": to}, headers=a[who])
        assert moved.status_code == 200, moved.text
    record = await client.get(f"/api/v1/records/{a['record']}", headers=a["subject"])
    assert record.json()["under_objection"] is True
    assert record.json()["status"] == "under_objection"
    by_officer = await client.post(
        f"{objection}/transitions", json={"to": "upheld", "reason": "r"}, headers=a["officer"]
    )
    assert by_officer.status_code == 403
    upheld = await client.post(
        f"{objection}/transitions",
        json={"to": "upheld", "reason": "复议决定撤销原处罚"},
        headers=a["reviewer"],
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "upheld"
    assert upheld.json()["deadline"] is None
    shown = (await client.get(objection, headers=a["subject"])).json()
    assert all(event["actor"] is None for event in shown["events"])  # roles only, for subjects
    record = await client.get(f"/api/v1/records/{a['record']}", headers=a["officer"])
    assert record.json()["status"] == "revoked"


@pytest.mark.parametrize(
    ("case", "status", "field", "rule"),
    [
        ("no_grounds", 422, "grounds", "required"),
        ("outside_window", 409, "target_id", "objection_window"),
        ("not_own", 404, "target_id", "exists"),
        ("unknown_target", 404, "target_id", "exists"),
    ],
)
async def test_bad_objections_change_nothing(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    case: str,
    status: int,
    field: str,
    rule: str,
) -> None:
    a = await _accounts(db, auth_headers)
    sent = {
        "no_grounds": (a["subject"], {"target_id": a["record"], "grounds": "   "}),
        "outside_window": (a["subject"], {"target_id": a["old"], "grounds": "g"}),
        "not_own": (a["stranger"], {"target_id": a["record"], "grounds": "g"}),
        "unknown_target": (a["subject"], {"target_id": 999_999, "grounds": "g"}),
    }
    headers, body = sent[case]
    answer = await client.post(
        OBJECTIONS,
        json={"target_type": "record", **body},
        headers=headers,  # type: ignore[dict-item]
    )
    assert answer.status_code == status, answer.text
    assert (answer.json()["field"], answer.json()["rule"]) == (field, rule)
    listed = await client.get(OBJECTIONS, headers=a["officer"])
    assert listed.json()["items"] == []


async def test_evidence_is_checked_and_shown_only_to_the_subject_and_regulators(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    a = await _accounts(db, auth_headers)
    filed = await client.post(
        OBJECTIONS,
        json={"target_type": "record", "target_id": a["record"], "grounds": "见附件"},
        headers=a["subject"],
    )
    evidence = f"{OBJECTIONS}/{filed.json()['id']}/evidence"
    sent = await client.post(
        evidence, files={"file": ("复议决定书.pdf", PDF, "application/pdf")}, headers=a["subject"]
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    one = f"{evidence}/{sent.json()['id']}"
    got = await client.get(one, headers=a["subject"])
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"].startswith("application/pdf")
    assert (await client.get(one, headers=a["reviewer"])).content == PDF
    assert (await client.get(one, headers=a["stranger"])).status_code == 404
    assert (await client.get(one)).status_code == 401
    issued = await client.post(
        "/api/v1/api-keys",
        json={"agency": "测试机构", "scopes": ["feed:black"]},
        headers=await auth_headers("admin"),
    )
    partner = {"Authorization": f"Bearer {issued.json()['key']}"}
    assert (await client.get(one, headers=partner)).status_code == 403
    other_upload = await client.post(
        evidence, files={"file": ("x.pdf", PDF, "application/pdf")}, headers=a["stranger"]
    )
    assert other_upload.status_code == 404

    disguised = await client.post(
        evidence, files={"file": ("判决书.pdf", EXE, "application/pdf")}, headers=a["subject"]
    )
    assert disguised.status_code == 422
    assert disguised.json()["rule"] == "file_type"
    renamed = await client.post(
        evidence, files={"file": ("scan.pdf", PNG, "application/pdf")}, headers=a["subject"]
    )
    assert (renamed.status_code, renamed.json()["rule"]) == (422, "disguised_file")
    large = await client.post(
        evidence,
        files={"file": ("big.pdf", PDF + b"0" * LIMIT, "application/pdf")},
        headers=a["subject"],
    )
    assert (large.status_code, large.json()["rule"]) == (413, "max_size")
    raw = await client.post(
        evidence, content=PDF, headers={**a["subject"], "Content-Type": "application/pdf"}
    )
    assert raw.status_code == 201, raw.text
    detail = (await client.get(OBJECTIONS + f"/{filed.json()['id']}", headers=a["subject"])).json()
    assert [item["sha256"] for item in detail["evidence"]] == [sent.json()["sha256"]] * 2
