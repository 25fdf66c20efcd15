"""The credit report: live score follows records at once; grades come from published runs."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from tests.conftest import AuthHeaders
from tests.indicators.support import hospital, hunan_set_id, publicity_is_over, seed


async def test_live_score_follows_records_and_published_grade_stays(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed(db)
    mine, other = await hospital(db, 1), await hospital(db, 2)
    officer, reviewer = await auth_headers("officer"), await auth_headers("reviewer")
    subject = await auth_headers("subject", subject_id=mine)
    url = f"/api/v1/subjects/{mine}/report"

    clean = (await client.get(url, headers=subject)).json()
    assert (clean["live"]["total"], clean["live"]["grade"], clean["current"]) == (
        "70.00",
        "B",
        None,
    )
    assert clean["live"]["profile_code"] == "hunan-2024"

    created = await client.post(
        "/api/v1/records",
        json={
            "subject_id": mine,
            "item_code": "ENF-38-SPLIT-ADMISSION",
            "decided_on": "2026-03-01",
            "source_system": "test",
            "source_ref": "live-1",
        },
        headers=officer,
    )
    assert created.status_code == 201, created.text
    after = (await client.get(url, headers=subject)).json()
    assert after["live"]["total"] == "65.00"
    assert after["live"]["reason_codes"][0]["en"] == "1 violation in 2026: −5"
    assert [record["item_code"] for record in after["records"]] == ["ENF-38-SPLIT-ADMISSION"]

    run = await client.post(
        "/api/v1/evaluations",
        json={"cycle": "2026", "set_ids": [await hunan_set_id(db)]},
        headers=officer,
    )
    run_url = f"/api/v1/evaluations/{run.json()['id']}"
    await client.post(f"{run_url}/review", headers=officer)
    opened = await client.post(f"{run_url}/publicity", headers=reviewer)
    publicity_is_over(monkeypatch, opened.json()["publicity_ends_on"])
    await client.post(f"{run_url}/publish", headers=reviewer)

    revoked = await client.post(
        f"/api/v1/records/{created.json()['id']}/revocations",
        json={"reason": "objection upheld"},
        headers=reviewer,
    )
    assert revoked.status_code in (200, 201), revoked.text
    final = (await client.get(url, headers=subject)).json()
    assert final["live"]["total"] == "70.00"  # the live score follows the revocation
    assert (final["current"]["total"], final["current_cycle"]) == ("65.00", "2026")
    assert [entry["grade"] for entry in final["history"]] == ["B"]

    foreign = await client.get(f"/api/v1/subjects/{other}/report", headers=subject)
    assert foreign.status_code == 404


async def test_points_ledger_is_read_by_regulators_and_the_person_only(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    from tests.indicators.test_points import _event, physician

    await seed(db)
    clinic = await hospital(db, 1)
    doctor, colleague = await physician(db, 1, clinic), await physician(db, 2, clinic)
    await _event(db, clinic, doctor, "ENF-38-SUBSTITUTION", "principal", "2026-01-10", "a")
    own = await auth_headers("subject", subject_id=doctor)
    ledger = await client.get(f"/api/v1/points/{doctor}", params={"year": 2026}, headers=own)
    assert ledger.status_code == 200, ledger.text
    body = ledger.json()
    assert (body["total"], body["interview"], body["status"]) == (7, True, "normal")
    assert (body["focus"], body["still_paid"]) == (True, [])
    assert body["entries"][0]["tier"] == "principal"
    assert body["sites"][0]["institution_id"] == clinic
    other = await client.get(f"/api/v1/points/{colleague}", headers=own)
    assert other.status_code == 404
    future = await client.get(
        f"/api/v1/points/{doctor}", params={"year": 2099}, headers=await auth_headers("officer")
    )
    assert (future.status_code, future.json()["rule"]) == (422, "range")
