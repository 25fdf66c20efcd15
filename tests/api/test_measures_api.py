"""Measures over the API: the public catalog, agency and subject scoping, feedback."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.db import Database
from credit.changelog.models import ChangeLogEntry
from credit.kernel.clock import business_today
from credit.measures import service
from credit.measures.standing import Standing
from credit.policy.models import PackVersion
from credit.policy.vocabulary import ListName
from tests.conftest import AuthHeaders
from tests.indicators.support import hospital

ASSIGNMENTS = "/api/v1/measure-assignments"
HANDLING_AGENCY = "medical_insurance_agency"
LICENSING = "government_services"


async def _blacklisted(db: Database, number: int) -> int:
    """A hospital on the blacklist, with the list's measures assigned to three agencies."""
    subject = await hospital(db, number)
    async with db.transaction() as session:
        await service.reconcile(
            session, [Standing(subject, "medical_institution", lists={ListName.BLACK: number})]
        )
    return subject


async def _partner(
    client: AsyncTestClient[Litestar], admin: dict[str, str], agency_code: str | None
) -> dict[str, str]:
    issued = await client.post(
        "/api/v1/api-keys",
        json={"agency": "合作机构", "agency_code": agency_code, "scopes": ["feed:measures"]},
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["agency_code"] == agency_code
    return {"Authorization": f"Bearer {issued.json()['key']}"}


async def test_the_catalog_is_public_and_names_agencies_and_triggers(
    client: AsyncTestClient[Litestar], policy_defaults: list[PackVersion]
) -> None:
    answer = await client.get("/api/v1/measures")
    assert answer.status_code == 200
    measures = {item["code"]: item for item in answer.json()["items"]}
    points = measures["DIS-STAFF-POINTS-INTERVIEW"]
    assert points["trigger"]["min_points"] == 6
    assert points["subject_kinds"] == ["physician", "pharmacist"]
    assert measures["INC-CREDIT-CARE"]["agency"]["code"] == HANDLING_AGENCY
    assert {item["type"] for item in measures.values()} == {"incentive", "discipline"}


async def test_a_partner_sees_and_reports_on_its_own_agency_only(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    policy_defaults: list[PackVersion],
) -> None:
    subject = await _blacklisted(db, 1)
    admin = await auth_headers("admin")
    handling = await _partner(client, admin, HANDLING_AGENCY)
    licensing = await _partner(client, admin, LICENSING)
    nameless = await _partner(client, admin, None)

    everything = (await client.get(ASSIGNMENTS, headers=admin)).json()["items"]
    assert {item["agency"] for item in everything} == {
        HANDLING_AGENCY,
        LICENSING,
        "medical_security_admin",
    }
    own = (await client.get(ASSIGNMENTS, headers=handling)).json()["items"]
    assert {item["measure_code"] for item in own} == {
        "DIS-DEPOSIT-ADVANCE",
        "DIS-SUSPEND-SETTLEMENT",
        "DIS-TERMINATE-AGREEMENT",
    }
    assert (await client.get(ASSIGNMENTS, headers=nameless)).json()["items"] == []
    other = next(item for item in everything if item["agency"] == LICENSING)
    assert (await client.get(f"{ASSIGNMENTS}/{other['id']}", headers=handling)).status_code == 404
    refused = await client.get(ASSIGNMENTS, params={"agency": LICENSING}, headers=handling)
    assert (refused.status_code, refused.json()["field"]) == (403, "agency")

    today = business_today().isoformat()
    feedback = {"outcome": "applied", "occurred_on": today, "note": "已暂停结算"}
    crossed = await client.post(
        f"{ASSIGNMENTS}/{other['id']}/feedback", json=feedback, headers=handling
    )
    assert crossed.status_code == 404
    accepted = await client.post(
        f"{ASSIGNMENTS}/{other['id']}/feedback", json=feedback, headers=licensing
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["assignment"]["feedback_outcome"] == "applied"
    detail = (await client.get(f"{ASSIGNMENTS}/{other['id']}", headers=licensing)).json()
    assert [(f["outcome"], f["note"], f["agency"]) for f in detail["feedback"]] == [
        ("applied", "已暂停结算", LICENSING)
    ]
    async with db.transaction() as session:
        query = select(ChangeLogEntry).where(ChangeLogEntry.entity_id == other["id"])
        logged = (await session.execute(query)).scalars().all()
    assert [(row.op, row.agency, row.subject_id) for row in logged] == [
        ("ADD", LICENSING, subject),
        ("MOD", LICENSING, subject),
    ]
    assert logged[-1].body["feedback_outcome"] == "applied"


async def test_feedback_is_validated(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    policy_defaults: list[PackVersion],
) -> None:
    subject = await _blacklisted(db, 1)
    officer = await auth_headers("officer")
    items = (await client.get(ASSIGNMENTS, params={"subject": subject}, headers=officer)).json()
    target = f"{ASSIGNMENTS}/{items['items'][0]['id']}/feedback"
    today = business_today()

    future = {"outcome": "applied", "occurred_on": (today + timedelta(days=1)).isoformat()}
    answer = await client.post(target, json=future, headers=officer)
    assert (answer.status_code, answer.json()["field"], answer.json()["rule"]) == (
        422,
        "occurred_on",
        "not_future",
    )
    early = {"outcome": "failed", "occurred_on": (today - timedelta(days=1)).isoformat()}
    answer = await client.post(target, json=early, headers=officer)
    assert (answer.status_code, answer.json()["rule"]) == (422, "after_start")
    unknown = {"outcome": "ignored", "occurred_on": today.isoformat()}
    assert (await client.post(target, json=unknown, headers=officer)).status_code == 400
    reviewer = await auth_headers("reviewer")
    fine = {"outcome": "not_applicable", "occurred_on": today.isoformat(), "note": "无此业务"}
    assert (await client.post(target, json=fine, headers=reviewer)).status_code == 403

    async with db.transaction() as session:  # the listing ends: so do its measures
        await service.reconcile(session, [Standing(subject, "medical_institution")])
    answer = await client.post(target, json=fine, headers=officer)
    assert (answer.status_code, answer.json()["rule"]) == (409, "assignment_active")
    unknown_measure = await client.get(ASSIGNMENTS, params={"measure": "DIS-NOPE"}, headers=officer)
    assert (unknown_measure.status_code, unknown_measure.json()["field"]) == (422, "measure")


async def test_a_subject_sees_its_own_measures_only(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    policy_defaults: list[PackVersion],
) -> None:
    mine = await _blacklisted(db, 1)
    theirs = await _blacklisted(db, 2)
    headers = await auth_headers("subject", subject_id=mine)

    own = await client.get(f"/api/v1/subjects/{mine}/measures", headers=headers)
    assert own.status_code == 200
    assert {item["subject_id"] for item in own.json()["items"]} == {mine}
    assert len(own.json()["items"]) == 5
    listed = (await client.get(ASSIGNMENTS, headers=headers)).json()["items"]
    assert {item["subject_id"] for item in listed} == {mine}

    assert (
        await client.get(f"/api/v1/subjects/{theirs}/measures", headers=headers)
    ).status_code == 404
    assert (
        await client.get(ASSIGNMENTS, params={"subject": theirs}, headers=headers)
    ).status_code == 404
    officer = await auth_headers("officer")
    their_items = (await client.get(f"/api/v1/subjects/{theirs}/measures", headers=officer)).json()[
        "items"
    ]
    assert (
        await client.get(f"{ASSIGNMENTS}/{their_items[0]['id']}", headers=headers)
    ).status_code == 404
    paged = await client.get(ASSIGNMENTS, params={"limit": 3}, headers=officer)
    assert len(paged.json()["items"]) == 3
    rest = await client.get(
        ASSIGNMENTS, params={"limit": 500, "cursor": paged.json()["next_cursor"]}, headers=officer
    )
    assert len(rest.json()["items"]) == 7
