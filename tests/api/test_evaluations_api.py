"""The indicator-set and evaluation API: validation answers, four-eyes, who reads which result."""

from __future__ import annotations

import copy

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from indicators import sets
from tests.conftest import AuthHeaders
from tests.indicators.support import add_record, hospital, hunan_set_id, publicity_is_over, seed


def _document() -> dict:
    shipped = sets.shipped_sets()
    found = next(d for c, k, _, d in shipped if (c, k) == ("hunan-2024", "medical_institution"))
    return copy.deepcopy(found)


async def test_indicator_set_api_validates_drafts_and_activates(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    admin = await auth_headers("admin")
    document = _document()
    document["dimensions"][1]["indicators"][0]["rule"]["item_codes"] = ["AGR-NOPE"]
    body = {"profile_code": "hunan-2024", "subject_kind": "medical_institution", "title": "v2"}
    bad = await client.post(
        "/api/v1/indicator-sets", json={**body, "document": document}, headers=admin
    )
    assert bad.status_code == 422
    assert bad.json()["rule"] == "known_item"
    assert "agreement_handling (per_record)" in bad.json()["detail"]

    created = await client.post(
        "/api/v1/indicator-sets", json={**body, "document": _document()}, headers=admin
    )
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["status"], draft["version"]) == ("draft", 2)
    activated = await client.post(f"/api/v1/indicator-sets/{draft['id']}/activate", headers=admin)
    assert activated.json()["status"] == "active"
    edit = await client.patch(
        f"/api/v1/indicator-sets/{draft['id']}", json={"title": "changed"}, headers=admin
    )
    assert edit.status_code == 409
    listed = await client.get(
        "/api/v1/indicator-sets",
        params={"profile_code": "hunan-2024", "subject_kind": "medical_institution"},
        headers=admin,
    )
    assert [item["status"] for item in listed.json()["items"]] == ["retired", "active"]


async def test_evaluation_api_runs_publishes_and_guards_results(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed(db)
    mine, other = await hospital(db, 1), await hospital(db, 2)
    await add_record(db, other, "ENF-38-SPLIT-ADMISSION", "2025-03-01", "r1")
    officer = await auth_headers("officer")
    reviewer = await auth_headers("reviewer")
    subject = await auth_headers("subject", subject_id=mine)

    future = await client.post("/api/v1/evaluations", json={"cycle": "2999"}, headers=officer)
    assert (future.status_code, future.json()["rule"]) == (422, "cycle_not_future")
    early = await client.post(
        "/api/v1/evaluations",
        json={
            "cycle": "2025",
            "set_ids": [await hunan_set_id(db)],
            "as_of": "2025-01-01T00:00:00Z",
        },
        headers=officer,
    )
    assert (early.status_code, early.json()["rule"]) == (422, "as_of_after_data")

    started = await client.post(
        "/api/v1/evaluations",
        json={"cycle": "2025", "profile_code": "hunan-2024", "kinds": ["medical_institution"]},
        headers=officer,
    )
    assert started.status_code == 201, started.text
    run = started.json()
    url = f"/api/v1/evaluations/{run['id']}"
    hidden = await client.get(f"{url}/results", headers=subject)
    assert hidden.status_code == 404  # not public yet

    assert (await client.post(f"{url}/review", headers=officer)).json()["status"] == "in_review"
    opened = await client.post(f"{url}/publicity", headers=reviewer)
    assert opened.status_code == 200, opened.text
    ends_on = opened.json()["publicity_ends_on"]
    assert opened.json()["publicity_end_exact"] is True
    early = await client.post(f"{url}/publish", headers=reviewer)
    assert (early.status_code, early.json()["rule"]) == (409, "publicity_open")
    assert ends_on in early.json()["detail"]
    publicity_is_over(monkeypatch, ends_on)
    answer = await client.post(f"{url}/publish", headers=reviewer)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "published"

    everything = (await client.get(f"{url}/results", headers=reviewer)).json()
    assert everything["grade_counts"] == {"B": 2}
    fined = (
        await client.get(f"{url}/results", params={"subject_id": other}, headers=reviewer)
    ).json()
    assert fined["items"][0]["total"] == "65.00"
    assert fined["items"][0]["reason_codes"][0]["en"] == "1 violation in 2025: −5"

    own = (await client.get(f"{url}/results", headers=subject)).json()
    assert [item["subject_id"] for item in own["items"]] == [mine]
    assert own["grade_counts"] == {"B": 1}
    foreign = await client.get(f"{url}/results", params={"subject_id": other}, headers=subject)
    assert foreign.status_code == 404


async def test_the_starter_may_not_publish_their_own_run(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    await add_record(db, subject_id, "POS-TRAINING", "2025-03-01", "r1")
    admin = await auth_headers("admin")
    started = await client.post(
        "/api/v1/evaluations",
        json={"cycle": "2025Q1", "set_ids": [await hunan_set_id(db)]},
        headers=admin,
    )
    url = f"/api/v1/evaluations/{started.json()['id']}"
    too_early = await client.post(f"{url}/publish", headers=admin)
    assert (too_early.status_code, too_early.json()["rule"]) == (409, "transition")
    await client.post(f"{url}/review", headers=admin)
    own = await client.post(f"{url}/publicity", headers=admin)
    assert (own.status_code, own.json()["rule"]) == (403, "four_eyes")


async def test_simulation_api_saves_lists_and_compares(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    await add_record(db, subject_id, "MON-SPLIT-CHARGE", "2025-03-01", "r1")
    officer = await auth_headers("officer")
    set_id = await hunan_set_id(db)
    run = await client.post(
        "/api/v1/evaluations", json={"cycle": "2025", "set_ids": [set_id]}, headers=officer
    )
    body = {"baseline_run_id": run.json()["id"], "set_id": set_id}
    first = await client.post("/api/v1/simulations", json={**body, "name": "a"}, headers=officer)
    assert first.status_code == 201, first.text
    assert first.json()["transition_matrix"] == {"B": {"B": 1}}
    assert first.json()["population"] == 1
    again = await client.post("/api/v1/simulations", json={**body, "name": "a"}, headers=officer)
    assert (again.status_code, again.json()["rule"]) == (409, "unique_name")
    second = await client.post("/api/v1/simulations", json={**body, "name": "b"}, headers=officer)
    listed = await client.get("/api/v1/simulations", headers=officer)
    assert [item["name"] for item in listed.json()["items"]] == ["a", "b"]
    compared = await client.get(
        f"/api/v1/simulations/{first.json()['id']}/compare/{second.json()['id']}", headers=officer
    )
    assert compared.json()["mean_difference"] == "0.00"
