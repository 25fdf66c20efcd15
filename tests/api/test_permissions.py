"""The permission matrix: every API endpoint called by every role.

A new endpoint fails this test until it is given a row here, so no route ships unguarded.
"""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR
from credit.subjects import service as subjects
from credit.subjects.models import SubjectCreate
from tests.conftest import AuthHeaders

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "admin", "officer", "reviewer", "subject", "partner")
REGULATORS = {"admin", "officer", "reviewer"}
OFFICERS = {"admin", "officer"}
ADMINS = {"admin"}
EVERYONE = {"admin", "officer", "reviewer", "subject", "partner"}
PUBLIC = {ANONYMOUS, *EVERYONE}

# (method, path template) -> roles allowed through the guards.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("GET", "/api/v1/auth/whoami"): EVERYONE,
    ("GET", "/api/v1/accounts"): ADMINS,
    ("POST", "/api/v1/accounts"): ADMINS,
    ("GET", "/api/v1/api-keys"): ADMINS,
    ("POST", "/api/v1/api-keys"): ADMINS,
    ("POST", "/api/v1/api-keys/{api_key_id}/revoke"): ADMINS,
    ("GET", "/api/v1/audit/events"): ADMINS,
    ("GET", "/api/v1/subjects"): REGULATORS,
    ("POST", "/api/v1/subjects"): OFFICERS,
    ("GET", "/api/v1/subjects/{subject_id}"): {*REGULATORS, "subject"},
    ("PATCH", "/api/v1/subjects/{subject_id}"): OFFICERS,
    ("GET", "/api/v1/subjects/{subject_id}/practice-sites"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/subjects/{subject_id}/practice-sites"): OFFICERS,
    ("POST", "/api/v1/subjects/{subject_id}/practice-sites/{site_id}/end"): OFFICERS,
    ("POST", "/api/v1/records"): OFFICERS,
    ("GET", "/api/v1/records/{record_id}"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/records/{record_id}/history"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/records/{record_id}/corrections"): REGULATORS,
    ("POST", "/api/v1/records/{record_id}/revocations"): REGULATORS,
    ("GET", "/api/v1/subjects/{subject_id}/records"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/policy-packs"): REGULATORS,
    ("POST", "/api/v1/policy-packs"): ADMINS,
    ("GET", "/api/v1/policy-packs/{pack_id}"): REGULATORS,
    ("PATCH", "/api/v1/policy-packs/{pack_id}"): ADMINS,
    ("POST", "/api/v1/policy-packs/{pack_id}/submit"): ADMINS,
    ("POST", "/api/v1/policy-packs/{pack_id}/approve"): ADMINS,
    ("POST", "/api/v1/policy-packs/{pack_id}/withdraw"): ADMINS,
    # The catalog is public regulatory information.
    ("GET", "/api/v1/catalog/items"): PUBLIC,
    ("GET", "/api/v1/catalog/items/{item_code}"): PUBLIC,
    # The working-day calendar is public; loading a year's schedule is an admin's.
    ("GET", "/api/v1/calendar/{year}"): PUBLIC,
    ("GET", "/api/v1/calendar/deadline"): PUBLIC,
    ("PUT", "/api/v1/calendar/{year}"): ADMINS,
    # Public keys are public: anyone must be able to check a signed answer.
    ("GET", "/api/v1/feeds/keys"): PUBLIC,
    ("POST", "/api/v1/feeds/keys/rotate"): ADMINS,
    # Partner feeds: an API key with the scope (the test key holds feed:black, verify, match,
    # pii, not feed:measures), and regulators.
    ("GET", "/api/v1/feeds/{list_name}/changes"): {*REGULATORS, "partner"},
    ("GET", "/api/v1/feeds/{list_name}/snapshot"): {*REGULATORS, "partner"},
    ("GET", "/api/v1/feeds/measures/changes"): REGULATORS,
    ("GET", "/api/v1/verify"): {*REGULATORS, "partner"},
    ("POST", "/api/v1/match"): {*REGULATORS, "partner"},
    ("POST", "/api/v1/records/import"): OFFICERS,
    ("GET", "/api/v1/records/imports/{import_id}"): REGULATORS,
    ("GET", "/api/v1/records/imports/{import_id}/rejected.csv"): REGULATORS,
    ("POST", "/api/v1/metrics/import"): OFFICERS,
    ("GET", "/api/v1/metrics/imports/{import_id}"): REGULATORS,
    ("GET", "/api/v1/metrics/imports/{import_id}/rejected.csv"): REGULATORS,
    ("GET", "/api/v1/indicator-sets"): REGULATORS,
    ("POST", "/api/v1/indicator-sets"): ADMINS,
    ("GET", "/api/v1/indicator-sets/{set_id}"): REGULATORS,
    ("PATCH", "/api/v1/indicator-sets/{set_id}"): ADMINS,
    ("POST", "/api/v1/indicator-sets/{set_id}/activate"): ADMINS,
    ("POST", "/api/v1/indicator-sets/{set_id}/retire"): ADMINS,
    ("GET", "/api/v1/evaluations"): REGULATORS,
    ("POST", "/api/v1/evaluations"): OFFICERS,
    ("GET", "/api/v1/evaluations/{run_id}"): REGULATORS,
    ("POST", "/api/v1/evaluations/{run_id}/review"): OFFICERS,
    ("POST", "/api/v1/evaluations/{run_id}/corrections"): OFFICERS,
    ("POST", "/api/v1/evaluations/{run_id}/publicity"): {"admin", "reviewer"},
    ("POST", "/api/v1/evaluations/{run_id}/publish"): {"admin", "reviewer"},
    ("GET", "/api/v1/evaluations/{run_id}/results"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/simulations"): REGULATORS,
    ("GET", "/api/v1/points/{subject_id}"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/subjects/{subject_id}/report"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/simulations"): OFFICERS,
    ("GET", "/api/v1/simulations/{simulation_id}"): REGULATORS,
    ("GET", "/api/v1/simulations/{simulation_id}/compare/{other_id}"): REGULATORS,
    # Lists: officers propose and notify, reviewers decide and amend (the service checks each
    # step's role and four-eyes); a subject reads its own entries and submits its defence.
    ("GET", "/api/v1/lists/{list_name}/entries"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/lists/{list_name}/entries"): OFFICERS,
    ("GET", "/api/v1/lists/{list_name}/entries/{entry_id}"): {*REGULATORS, "subject"},
    ("PATCH", "/api/v1/lists/{list_name}/entries/{entry_id}"): {"admin", "reviewer"},
    ("POST", "/api/v1/lists/{list_name}/entries/{entry_id}/transitions"): REGULATORS,
    ("POST", "/api/v1/lists/{list_name}/entries/{entry_id}/defence"): {*OFFICERS, "subject"},
    ("GET", "/api/v1/lists/{list_name}/entries/{entry_id}/notice"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/lists/{list_name}/entries/{entry_id}/attachments/{attachment_id}"): {
        *REGULATORS,
        "subject",
    },
    # The measures catalog is public; assignments are scoped by agency and subject in the service.
    ("GET", "/api/v1/measures"): PUBLIC,
    ("GET", "/api/v1/measure-assignments"): EVERYONE,
    ("GET", "/api/v1/measure-assignments/{assignment_id}"): EVERYONE,
    ("POST", "/api/v1/measure-assignments/{assignment_id}/feedback"): {*OFFICERS, "partner"},
    ("GET", "/api/v1/subjects/{subject_id}/measures"): {*REGULATORS, "subject"},
    # Objections and repairs: subjects file and read their own (the service scopes them),
    # regulators move them; evidence never reaches partners or the public.
    ("POST", "/api/v1/objections"): {*OFFICERS, "subject"},
    ("GET", "/api/v1/objections"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/objections/{objection_id}"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/objections/{objection_id}/transitions"): REGULATORS,
    ("POST", "/api/v1/objections/{objection_id}/evidence"): {*OFFICERS, "subject"},
    ("GET", "/api/v1/objections/{objection_id}/evidence/{evidence_id}"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/repairs/eligibility"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/repairs"): {*OFFICERS, "subject"},
    ("GET", "/api/v1/repairs"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/repairs/{repair_id}"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/repairs/{repair_id}/transitions"): REGULATORS,
    ("GET", "/api/v1/repairs/{repair_id}/commitment"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/repairs/{repair_id}/evidence"): {*OFFICERS, "subject"},
    ("GET", "/api/v1/repairs/{repair_id}/evidence/{evidence_id}"): {*REGULATORS, "subject"},
    # Every account reads its own inbox; the outbox is for an admin or the gateway's key.
    ("GET", "/api/v1/inbox"): {*REGULATORS, "subject"},
    ("POST", "/api/v1/inbox/{item_id}/read"): {*REGULATORS, "subject"},
    ("GET", "/api/v1/outbox"): ADMINS,
    ("POST", "/api/v1/outbox/{message_id}/sent"): ADMINS,
    ("POST", "/api/v1/outbox/{message_id}/failed"): ADMINS,
    # Regulators see the scheduled jobs and their outcomes; an admin runs one now.
    ("GET", "/api/v1/jobs"): REGULATORS,
    ("POST", "/api/v1/jobs/{name}/run"): ADMINS,
}


def api_routes(app: Litestar) -> set[tuple[str, str]]:
    routes = set()
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for method in getattr(route, "methods", ()):
            if method not in {"HEAD", "OPTIONS"}:
                path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                routes.add((method, path))
    return routes


def test_every_api_route_has_a_row(app: Litestar) -> None:
    assert api_routes(app) == set(MATRIX)


async def _own_subject(db: Database) -> int:
    async with db.transaction() as session:
        subject = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(
                kind="medical_institution",
                name="长沙市第一人民医院",
                uscc="12100000400000624D",
                nhsa_code="H43010200001",
                region_code="430102",
            ),
        )
    assert subject.id is not None
    return subject.id


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
async def test_each_role_meets_the_guard(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    method: str,
    path: str,
) -> None:
    subject_id = await _own_subject(db)
    headers_of = {ANONYMOUS: {}}
    for role in ("admin", "officer", "reviewer"):
        headers_of[role] = await auth_headers(role)
    headers_of["subject"] = await auth_headers("subject", subject_id=subject_id)
    issued = await client.post(
        "/api/v1/api-keys",
        json={"agency": "测试机构", "scopes": ["verify", "match", "pii", "feed:black"]},
        headers=headers_of["admin"],
    )
    headers_of["partner"] = {"Authorization": f"Bearer {issued.json()['key']}"}

    url = path.format(
        subject_id=subject_id,
        api_key_id=999_999,
        site_id=999_999,
        record_id=999_999,
        pack_id=999_999,
        item_code="ENF-38-SPLIT-ADMISSION",
        import_id=999_999,
        set_id=999_999,
        run_id=999_999,
        simulation_id=999_999,
        other_id=999_998,
        list_name="black",
        entry_id=999_999,
        attachment_id=999_999,
        assignment_id=999_999,
        objection_id=999_999,
        repair_id=999_999,
        evidence_id=999_999,
        year=2026,
        item_id=999_999,
        message_id=999_999,
        name="no_such_job",
    )
    allowed = MATRIX[(method, path)]
    for role in ROLES:
        answer = await client.request(method, url, json={}, headers=headers_of[role])
        if role in allowed:
            assert answer.status_code not in (401, 403), (role, method, url, answer.text)
        elif role == ANONYMOUS:
            assert answer.status_code == 401, (role, method, url, answer.text)
        else:
            assert answer.status_code in (403, 404), (role, method, url, answer.text)
        assert answer.status_code < 500, (role, method, url, answer.text)
