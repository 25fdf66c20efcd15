"""Credit subjects through the API: registration, duplicates, overrides, masking, search, sites."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from stdnum.cn import uscc

from api.db import Database
from api.settings import Settings
from credit.audit.models import AuditEvent
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import Conflict, InvalidInput
from credit.subjects import practice, repository
from credit.subjects.bulk import PracticeSiteRow, bulk_add_practice_sites, bulk_register
from credit.subjects.models import PracticeRole, Subject, SubjectCreate
from credit.subjects.pii import PersonalIdentifiers
from tests.conftest import AuthHeaders

Client = AsyncTestClient[Litestar]
SUBJECTS = "/api/v1/subjects"
RESIDENT_ID = "11010519491231002X"
RESIDENT_ID_MASKED = "110105********002X"

HOSPITAL = {
    "kind": "medical_institution",
    "name": "北京协和医院",
    "uscc": "12100000400000624D",
    "nhsa_code": "H11010100001",
    "region_code": "110101",
    "level": "tertiary",
    "ownership": "public",
    "designated_on": "2019-01-01",
}
PHARMACY = {
    "kind": "retail_pharmacy",
    "name": "福州市鼓楼区康民大药房",
    "uscc": "91350100M000100Y43",
    "nhsa_code": "P35010200001",
    "region_code": "350102",
}
PHYSICIAN = {
    "kind": "physician",
    "name": "王医生",
    "resident_id": RESIDENT_ID,
    "nhsa_code": "D110105000123",
    "region_code": "110105",
}
PHARMACIST = {
    "kind": "pharmacist",
    "name": "林药师",
    "resident_id": "350102199006150026",
    "nhsa_code": "HY350102000045",
}
INSURED_PERSON = {"kind": "insured_person", "name": "张三", "insurance_no": "3502A0000123"}
INSURED_UNIT = {"kind": "insured_unit", "name": "北京某科技有限公司", "uscc": "91110000600037341L"}


def generated_uscc(serial: int) -> str:
    body = f"91350203MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


async def count(db: Database, model: type[Any]) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def audit_changes(db: Database, action: str) -> list[dict[str, Any]]:
    async with db.transaction() as session:
        rows = await session.execute(select(AuditEvent.change).where(AuditEvent.action == action))
        return [json.loads(change) for change in rows.scalars()]


async def register(client: Client, headers: dict[str, str], body: dict[str, Any]) -> int:
    answer = await client.post(SUBJECTS, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def assert_problem(answer: Any, status: int, field: str, rule: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert field in {error["field"] for error in body["errors"]}, body
    if rule is not None:
        assert body["rule"] == rule, body
    return body


@pytest.mark.parametrize(
    "body", [HOSPITAL, PHARMACY, PHYSICIAN, PHARMACIST, INSURED_PERSON, INSURED_UNIT]
)
async def test_each_kind_registers_and_reads_back(
    client: Client, auth_headers: AuthHeaders, body: dict[str, Any]
) -> None:
    officer = await auth_headers("officer")
    subject_id = await register(client, officer, body)
    answer = await client.get(f"{SUBJECTS}/{subject_id}", headers=officer)
    assert answer.status_code == 200
    shown = answer.json()
    assert shown["id"] == subject_id
    for field, value in body.items():
        assert shown[field] == value, field


async def test_institution_defaults_and_lower_case_identifiers(
    client: Client, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    body = {**HOSPITAL, "uscc": HOSPITAL["uscc"].lower(), "nhsa_code": "h11010100001"}
    del body["level"]
    answer = await client.post(SUBJECTS, json=body, headers=officer)
    assert answer.status_code == 201, answer.text
    shown = answer.json()
    assert (shown["uscc"], shown["nhsa_code"]) == (HOSPITAL["uscc"], "H11010100001")
    assert (shown["level"], shown["agreement_status"]) == ("unrated", "normal")
    assert shown["qualification_status"] is None


async def test_duplicate_uscc_answers_409_with_the_existing_id_and_writes_nothing(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    first = await register(client, officer, HOSPITAL)
    events = await count(db, AuditEvent)
    again = {**HOSPITAL, "name": "协和医院（重复）", "nhsa_code": None}
    body = assert_problem(await client.post(SUBJECTS, json=again, headers=officer), 409, "uscc")
    assert body["existing_id"] == first
    assert await count(db, Subject) == 1
    assert await count(db, AuditEvent) == events


async def test_one_person_per_resident_id_across_kinds_and_letter_case(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    first = await register(client, officer, PHYSICIAN)
    same_person = {"kind": "insured_person", "name": "王某", "resident_id": RESIDENT_ID.lower()}
    answer = await client.post(SUBJECTS, json=same_person, headers=officer)
    body = assert_problem(answer, 409, "resident_id", "unique")
    assert body["existing_id"] == first
    assert RESIDENT_ID not in answer.text
    assert await count(db, Subject) == 1


async def test_duplicate_nhsa_code_of_the_same_kind_is_refused(
    client: Client, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    first = await register(client, officer, HOSPITAL)
    other = {**HOSPITAL, "uscc": generated_uscc(1), "name": "另一家医院"}
    body = assert_problem(
        await client.post(SUBJECTS, json=other, headers=officer), 409, "nhsa_code"
    )
    assert body["existing_id"] == first


async def test_bad_check_digit_is_refused_and_officers_cannot_override(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    bad = {**INSURED_UNIT, "uscc": "91350203M0001QAY9B"}
    answer = await client.post(SUBJECTS, json=bad, headers=officer)
    assert "override_check_digit" in assert_problem(answer, 422, "uscc", "check_digit")["detail"]
    override = {**bad, "override_check_digit": True, "override_reason": "营业执照原件如此"}
    answer = await client.post(SUBJECTS, json=override, headers=officer)
    assert_problem(answer, 403, "override_check_digit", "admin_only")
    assert await count(db, Subject) == 0


async def test_admin_override_needs_a_reason_and_is_audited(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    admin = await auth_headers("admin")
    bad = {**PHYSICIAN, "resident_id": "110105194912310021", "override_check_digit": True}
    answer = await client.post(SUBJECTS, json=bad, headers=admin)
    assert_problem(answer, 422, "override_reason", "required")
    reason = "户籍系统登记号码校验位错误，已核对原件"
    answer = await client.post(SUBJECTS, json={**bad, "override_reason": reason}, headers=admin)
    assert answer.status_code == 201, answer.text
    assert answer.json()["identifier_override"] is True
    (change,) = await audit_changes(db, "subject.register")
    assert change["override_check_digit"] == ["resident_id"]
    assert change["override_reason"] == reason
    assert change["resident_id"] == "110105********0021"


async def test_admin_may_not_override_a_malformed_code(
    client: Client, auth_headers: AuthHeaders
) -> None:
    admin = await auth_headers("admin")
    bad = {
        **PHYSICIAN,
        "resident_id": "110105194902300020",
        "override_check_digit": True,
        "override_reason": "试图接受不存在的出生日期",
    }
    answer = await client.post(SUBJECTS, json=bad, headers=admin)
    assert_problem(answer, 422, "resident_id", "birth_date")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PHYSICIAN, "uscc": "91110000600037341L"}, "uscc"),
        ({**PHARMACY, "level": "tertiary"}, "level"),
        ({**HOSPITAL, "qualification_status": "normal"}, "qualification_status"),
        ({**INSURED_UNIT, "nhsa_code": "H11010100001"}, "nhsa_code"),
        ({**INSURED_PERSON, "agreement_status": "normal"}, "agreement_status"),
    ],
)
async def test_fields_not_applying_to_the_kind_are_refused_by_name(
    client: Client, auth_headers: AuthHeaders, db: Database, body: dict[str, Any], field: str
) -> None:
    officer = await auth_headers("officer")
    answer = await client.post(SUBJECTS, json=body, headers=officer)
    assert_problem(answer, 422, field, "not_for_kind")
    assert await count(db, Subject) == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**HOSPITAL, "kind": "hospital"}, 422, "kind"),
        ({**HOSPITAL, "kind": "k" * 10_000}, 400, "kind"),
        ({**HOSPITAL, "name": "院" * 201}, 400, "name"),
        ({**HOSPITAL, "name": "   "}, 400, "name"),
        ({**HOSPITAL, "name": 42}, 400, "name"),
        ({**HOSPITAL, "uscc": 91110000600037341}, 400, "uscc"),
        ({**HOSPITAL, "uscc": "9" * 100_000}, 400, "uscc"),
        ({**HOSPITAL, "uscc": "12100000400000624"}, 422, "uscc"),
        ({**HOSPITAL, "uscc": None}, 422, "uscc"),
        ({**HOSPITAL, "region_code": "990000"}, 422, "region_code"),
        ({**HOSPITAL, "designated_on": "2019-02-30"}, 400, "designated_on"),
        ({**HOSPITAL, "level": "三级"}, 400, "level"),
        ({**HOSPITAL, "colour": "red"}, 400, "colour"),
        ({**PHYSICIAN, "resident_id": "11010519491231002Y"}, 422, "resident_id"),
        ({**PHYSICIAN, "nhsa_code": "H11010100001"}, 422, "nhsa_code"),
        ({**INSURED_PERSON, "insurance_no": None}, 422, "resident_id"),
    ],
)
async def test_bad_input_answers_4xx_naming_the_field_and_writes_nothing(
    client: Client,
    auth_headers: AuthHeaders,
    db: Database,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    officer = await auth_headers("officer")
    assert_problem(await client.post(SUBJECTS, json=body, headers=officer), status, field)
    assert await count(db, Subject) == 0


async def test_reviewers_and_subjects_cannot_register(
    client: Client, auth_headers: AuthHeaders
) -> None:
    reviewer = await auth_headers("reviewer")
    assert (await client.post(SUBJECTS, json=HOSPITAL, headers=reviewer)).status_code == 403


async def test_personal_identifiers_are_masked_unless_the_reader_may_see_them(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    hospital = await register(client, officer, HOSPITAL)
    physician = await register(client, officer, PHYSICIAN)
    site = {"institution_id": hospital, "role": "physician", "started_on": "2020-01-01"}
    added = await client.post(f"{SUBJECTS}/{physician}/practice-sites", json=site, headers=officer)
    assert added.status_code == 201, added.text

    for role in ("officer", "reviewer", "admin"):
        answer = await client.get(f"{SUBJECTS}/{physician}", headers=await auth_headers(role))
        assert answer.json()["resident_id"] == RESIDENT_ID, role
    own = await auth_headers("subject", subject_id=physician)
    assert (await client.get(f"{SUBJECTS}/{physician}", headers=own)).json()["resident_id"] == (
        RESIDENT_ID
    )
    employer = await auth_headers("subject", subject_id=hospital)
    answer = await client.get(f"{SUBJECTS}/{physician}", headers=employer)
    assert answer.status_code == 200
    assert answer.json()["resident_id"] == RESIDENT_ID_MASKED
    assert answer.json()["identifiers_masked"] is True
    assert RESIDENT_ID not in answer.text

    (change,) = [c for c in await audit_changes(db, "subject.register") if c["kind"] == "physician"]
    assert change["resident_id"] == RESIDENT_ID_MASKED
    async with db.transaction() as session:
        stored = (
            await session.execute(select(Subject).where(Subject.id == physician))
        ).scalar_one()
    assert RESIDENT_ID not in json.dumps(
        stored.model_dump(exclude={"resident_id_sealed"}), default=str
    )
    assert RESIDENT_ID.encode() not in (stored.resident_id_sealed or b"")


async def test_search_filters_by_name_identifier_kind_and_region(
    client: Client, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    ids = {
        name: await register(client, officer, body)
        for name, body in {
            "hospital": HOSPITAL,
            "pharmacy": PHARMACY,
            "physician": PHYSICIAN,
            "insured": INSURED_PERSON,
        }.items()
    }
    reviewer = await auth_headers("reviewer")

    async def found(**params: str) -> list[int]:
        answer = await client.get(SUBJECTS, params=params, headers=reviewer)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert await found(name="协和") == [ids["hospital"]]
    assert await found(identifier=HOSPITAL["uscc"].lower()) == [ids["hospital"]]
    assert await found(identifier=RESIDENT_ID.lower()) == [ids["physician"]]
    assert await found(identifier="3502a0000123") == [ids["insured"]]
    assert await found(identifier="P35010200001") == [ids["pharmacy"]]
    assert await found(identifier="91110000600037341L") == []
    assert await found(kind="physician") == [ids["physician"]]
    assert await found(region="350000") == [ids["pharmacy"]]
    assert await found(region="1101") == [ids["hospital"], ids["physician"]]
    assert await found(region="110101", kind="medical_institution") == [ids["hospital"]]
    assert await found(name="%") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "hospital"}, "kind"),
        ({"region": "11x"}, "region"),
        ({"identifier": "1101-0519 49?"}, "identifier"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"name": "n" * 201}, "name"),
    ],
)
async def test_search_refuses_bad_filters_by_name(
    client: Client, auth_headers: AuthHeaders, params: dict[str, str], field: str
) -> None:
    answer = await client.get(SUBJECTS, params=params, headers=await auth_headers("officer"))
    assert answer.status_code in {400, 422}, answer.text
    assert field in answer.text


async def test_search_pages_with_a_cursor(client: Client, auth_headers: AuthHeaders) -> None:
    officer = await auth_headers("officer")
    created = [
        await register(client, officer, {**INSURED_UNIT, "uscc": generated_uscc(n)})
        for n in range(5)
    ]
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"kind": "insured_unit", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(SUBJECTS, params=params, headers=officer)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert pages == 3


async def test_subjects_cannot_search(client: Client, auth_headers: AuthHeaders) -> None:
    officer = await auth_headers("officer")
    subject_id = await register(client, officer, HOSPITAL)
    own = await auth_headers("subject", subject_id=subject_id)
    assert (await client.get(SUBJECTS, headers=own)).status_code == 403


async def test_patch_validates_identifiers_like_registration(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    hospital = await register(client, officer, HOSPITAL)
    unit = await register(client, officer, INSURED_UNIT)
    physician = await register(client, officer, PHYSICIAN)
    url = f"{SUBJECTS}/{hospital}"

    answer = await client.patch(url, json={"uscc": "91350203M0001QAY9B"}, headers=officer)
    assert_problem(answer, 422, "uscc", "check_digit")
    answer = await client.patch(url, json={"uscc": INSURED_UNIT["uscc"]}, headers=officer)
    assert assert_problem(answer, 409, "uscc", "unique")["existing_id"] == unit
    answer = await client.patch(url, json={"uscc": None}, headers=officer)
    assert_problem(answer, 422, "uscc", "required")
    answer = await client.patch(url, json={"kind": "retail_pharmacy"}, headers=officer)
    assert_problem(answer, 400, "kind")
    answer = await client.patch(f"{SUBJECTS}/{physician}", json={"uscc": "x"}, headers=officer)
    assert_problem(answer, 422, "uscc", "not_for_kind")
    answer = await client.patch(
        f"{SUBJECTS}/{physician}", json={"resident_id": "110105194902300020"}, headers=officer
    )
    assert_problem(answer, 422, "resident_id", "birth_date")
    assert await audit_changes(db, "subject.update") == []

    new_uscc = generated_uscc(7)
    answer = await client.patch(
        url, json={"uscc": new_uscc.lower(), "name": "北京协和医院（东院）"}, headers=officer
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["uscc"], answer.json()["name"]) == (new_uscc, "北京协和医院（东院）")
    (change,) = await audit_changes(db, "subject.update")
    assert change["uscc"] == {"from": HOSPITAL["uscc"], "to": new_uscc}


async def test_patch_of_a_resident_id_keeps_it_out_of_the_audit_log(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    physician = await register(client, officer, PHYSICIAN)
    answer = await client.patch(
        f"{SUBJECTS}/{physician}", json={"resident_id": "110108198510100035"}, headers=officer
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["resident_id"] == "110108198510100035"
    (change,) = await audit_changes(db, "subject.update")
    assert change == {"resident_id": {"from": RESIDENT_ID_MASKED, "to": "110108********0035"}}
    found = await client.get(SUBJECTS, params={"identifier": RESIDENT_ID}, headers=officer)
    assert found.json()["items"] == []


async def test_status_moves_only_along_its_transitions(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    hospital = await register(client, officer, HOSPITAL)
    url = f"{SUBJECTS}/{hospital}"
    for to in ("suspended", "normal", "terminated"):
        answer = await client.patch(url, json={"agreement_status": to}, headers=officer)
        assert answer.status_code == 200, answer.text
        assert answer.json()["agreement_status"] == to
    answer = await client.patch(url, json={"agreement_status": "normal"}, headers=officer)
    assert assert_problem(answer, 409, "agreement_status", "transition")["current"] == "terminated"
    answer = await client.patch(url, json={"agreement_status": None}, headers=officer)
    assert_problem(answer, 422, "agreement_status", "required")
    moves = await audit_changes(db, "subject.agreement_status")
    assert [(move["from"], move["to"]) for move in moves] == [
        ("normal", "suspended"),
        ("suspended", "normal"),
        ("normal", "terminated"),
    ]


async def test_only_officers_and_admins_patch(client: Client, auth_headers: AuthHeaders) -> None:
    officer = await auth_headers("officer")
    hospital = await register(client, officer, HOSPITAL)
    reviewer = await auth_headers("reviewer")
    answer = await client.patch(f"{SUBJECTS}/{hospital}", json={"name": "x"}, headers=reviewer)
    assert answer.status_code == 403
    answer = await client.patch(f"{SUBJECTS}/999999", json={"name": "x"}, headers=officer)
    assert_problem(answer, 404, "subject_id")


async def test_practice_sites_link_persons_and_institutions(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer = await auth_headers("officer")
    hospital = await register(client, officer, HOSPITAL)
    pharmacy = await register(client, officer, PHARMACY)
    physician = await register(client, officer, PHYSICIAN)
    pharmacist = await register(client, officer, PHARMACIST)
    insured = await register(client, officer, INSURED_PERSON)

    def sites_of(subject_id: int) -> str:
        return f"{SUBJECTS}/{subject_id}/practice-sites"

    at_hospital = {"institution_id": hospital, "role": "physician", "started_on": "2020-01-01"}
    answer = await client.post(sites_of(physician), json=at_hospital, headers=officer)
    assert answer.status_code == 201, answer.text
    site = answer.json()
    assert (site["person_name"], site["institution_name"]) == ("王医生", "北京协和医院")
    assert site["current"] is True
    # The institution may be the path subject too.
    staff = {"person_id": pharmacist, "role": "principal"}
    assert (await client.post(sites_of(pharmacy), json=staff, headers=officer)).status_code == 201

    again = await client.post(sites_of(physician), json=at_hospital, headers=officer)
    assert assert_problem(again, 409, "role", "unique_open_site")["existing_id"] == site["id"]
    bad = {"institution_id": insured, "role": "physician"}
    assert_problem(
        await client.post(sites_of(physician), json=bad, headers=officer), 422, "institution_id"
    )
    missing = {"institution_id": 987654, "role": "physician"}
    answer = await client.post(sites_of(physician), json=missing, headers=officer)
    assert_problem(answer, 404, "institution_id")
    answer = await client.post(sites_of(insured), json=at_hospital, headers=officer)
    assert_problem(answer, 422, "subject_id", "not_for_kind")
    backwards = {**at_hospital, "role": "nurse", "ended_on": "2019-12-31"}
    answer = await client.post(sites_of(physician), json=backwards, headers=officer)
    assert_problem(answer, 422, "ended_on")

    listed = (await client.get(sites_of(hospital), headers=officer)).json()
    assert [item["person_id"] for item in listed["items"]] == [physician]
    assert listed["next_cursor"] is None

    end_url = f"{sites_of(hospital)}/{site['id']}/end"
    answer = await client.post(end_url, json={"ended_on": "2019-06-30"}, headers=officer)
    assert_problem(answer, 422, "ended_on", "after_start")
    answer = await client.post(end_url, json={"ended_on": "2021-06-30"}, headers=officer)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["ended_on"], answer.json()["current"]) == ("2021-06-30", False)
    assert_problem(await client.post(end_url, headers=officer), 409, "site_id", "already_ended")
    other = f"{sites_of(pharmacy)}/{site['id']}/end"
    assert_problem(await client.post(other, headers=officer), 404, "site_id")
    assert len(await audit_changes(db, "practice_site.add")) == 2
    assert len(await audit_changes(db, "practice_site.end")) == 1


async def test_a_subject_account_sees_only_itself(
    client: Client, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    hospital = await register(client, officer, HOSPITAL)
    physician = await register(client, officer, PHYSICIAN)
    insured = await register(client, officer, INSURED_PERSON)
    own = await auth_headers("subject", subject_id=insured)
    answer = await client.get(f"{SUBJECTS}/{insured}", headers=own)
    assert answer.status_code == 200
    assert answer.json()["insurance_no"] == INSURED_PERSON["insurance_no"]
    for other in (hospital, physician, 987654):
        answer = await client.get(f"{SUBJECTS}/{other}", headers=own)
        assert_problem(answer, 404, "subject_id")
        assert "北京协和医院" not in answer.text
    answer = await client.get(f"{SUBJECTS}/{hospital}/practice-sites", headers=own)
    assert_problem(answer, 404, "subject_id")
    physician_account = await auth_headers("subject", subject_id=physician)
    answer = await client.patch(
        f"{SUBJECTS}/{physician}", json={"name": "改名"}, headers=physician_account
    )
    assert answer.status_code == 403


async def test_an_institution_account_reads_its_current_staff_only(
    client: Client, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    hospital = await register(client, officer, HOSPITAL)
    pharmacy = await register(client, officer, PHARMACY)
    physician = await register(client, officer, PHYSICIAN)
    pharmacist = await register(client, officer, PHARMACIST)
    former = await register(
        client, officer, {**PHYSICIAN, "resident_id": "310115199203030044", "nhsa_code": None}
    )
    for person, institution, ended_on in (
        (physician, hospital, None),
        (pharmacist, pharmacy, None),
        (former, hospital, "2021-12-31"),
    ):
        site = {"institution_id": institution, "role": "physician", "started_on": "2020-01-01"}
        answer = await client.post(
            f"{SUBJECTS}/{person}/practice-sites",
            json={**site, "ended_on": ended_on},
            headers=officer,
        )
        assert answer.status_code == 201, answer.text
    # The physician also works at the pharmacy; the hospital must not learn of it.
    elsewhere = {"institution_id": pharmacy, "role": "physician", "started_on": "2020-01-01"}
    await client.post(f"{SUBJECTS}/{physician}/practice-sites", json=elsewhere, headers=officer)

    account = await auth_headers("subject", subject_id=hospital)
    answer = await client.get(f"{SUBJECTS}/{physician}", headers=account)
    assert answer.status_code == 200
    assert answer.json()["resident_id"] == RESIDENT_ID_MASKED
    sites = (await client.get(f"{SUBJECTS}/{physician}/practice-sites", headers=account)).json()
    assert [item["institution_id"] for item in sites["items"]] == [hospital]
    staff = (await client.get(f"{SUBJECTS}/{hospital}/practice-sites", headers=account)).json()
    assert {item["person_id"] for item in staff["items"]} == {physician, former}
    for hidden in (pharmacist, former, pharmacy):
        assert_problem(await client.get(f"{SUBJECTS}/{hidden}", headers=account), 404, "subject_id")
    answer = await client.get(f"{SUBJECTS}/{pharmacy}/practice-sites", headers=account)
    assert_problem(answer, 404, "subject_id")


@pytest.mark.parametrize(
    "path",
    [
        "/99999999999999999999999999",
        "/-1",
        "/0/practice-sites",
        "/99999999999999999999999999/practice-sites",
    ],
)
async def test_impossible_ids_answer_404(
    client: Client, auth_headers: AuthHeaders, path: str
) -> None:
    answer = await client.get(SUBJECTS + path, headers=await auth_headers("officer"))
    assert_problem(answer, 404, "subject_id")


async def test_a_duplicate_written_meanwhile_still_answers_409_with_its_id(
    client: Client, auth_headers: AuthHeaders, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = await auth_headers("officer")
    first = await register(client, officer, HOSPITAL)
    real_lookup = repository.duplicate_of
    calls = {"n": 0}

    async def misses_the_first_time(*args: Any, **kwargs: Any) -> tuple[str, int] | None:
        # As if the other row was committed between our check and our insert.
        calls["n"] += 1
        return None if calls["n"] == 1 else await real_lookup(*args, **kwargs)

    monkeypatch.setattr(repository, "duplicate_of", misses_the_first_time)
    answer = await client.post(SUBJECTS, json={**HOSPITAL, "nhsa_code": None}, headers=officer)
    assert assert_problem(answer, 409, "uscc", "unique")["existing_id"] == first
    assert await count(db, Subject) == 1


async def test_bulk_register_loads_many_subjects_with_one_audit_event(
    client: Client, auth_headers: AuthHeaders, db: Database, settings: Settings
) -> None:
    pii = PersonalIdentifiers(settings.secret_key)
    units = [
        SubjectCreate(**{**INSURED_UNIT, "uscc": generated_uscc(n), "name": f"参保单位{n}"})
        for n in range(40)
    ]
    rows = [SubjectCreate(**HOSPITAL), SubjectCreate(**PHYSICIAN), *units]
    async with db.transaction() as session:
        new_ids = await bulk_register(session, SYSTEM_ACTOR, rows, pii=pii)
        hospital, physician = new_ids[:2]
        await bulk_add_practice_sites(
            session,
            SYSTEM_ACTOR,
            [PracticeSiteRow(physician, hospital, PracticeRole.PHYSICIAN, date(2020, 1, 1))],
        )
    assert len(new_ids) == 42
    assert new_ids == sorted(new_ids)
    (event,) = await audit_changes(db, "subject.bulk_register")
    assert event["count"] == 42
    assert event["kinds"] == {"medical_institution": 1, "physician": 1, "insured_unit": 40}

    officer = await auth_headers("officer")
    found = await client.get(SUBJECTS, params={"identifier": RESIDENT_ID}, headers=officer)
    assert [item["id"] for item in found.json()["items"]] == [physician]
    assert found.json()["items"][0]["resident_id"] == RESIDENT_ID
    async with db.transaction() as session:
        staff = await practice.staff_of(session, hospital)
    assert [row.person_name for row in staff] == ["王医生"]


async def test_bulk_register_refuses_duplicates_naming_the_row_and_writes_nothing(
    db: Database, settings: Settings
) -> None:
    pii = PersonalIdentifiers(settings.secret_key)
    async with db.transaction() as session:
        (existing,) = await bulk_register(
            session, SYSTEM_ACTOR, [SubjectCreate(**HOSPITAL)], pii=pii
        )
    twice = [SubjectCreate(**INSURED_UNIT), SubjectCreate(**{**INSURED_UNIT, "name": "重复"})]
    with pytest.raises(InvalidInput) as repeated:
        async with db.transaction() as session:
            await bulk_register(session, SYSTEM_ACTOR, twice, pii=pii)
    assert (repeated.value.field, repeated.value.rule) == ("rows[1].uscc", "unique_in_batch")
    clash = [SubjectCreate(**INSURED_UNIT), SubjectCreate(**{**HOSPITAL, "nhsa_code": None})]
    with pytest.raises(Conflict) as taken:
        async with db.transaction() as session:
            await bulk_register(session, SYSTEM_ACTOR, clash, pii=pii)
    assert taken.value.field == "rows[1].uscc"
    assert taken.value.extra["existing_id"] == existing
    bad = [SubjectCreate(**INSURED_UNIT), SubjectCreate(**{**PHYSICIAN, "uscc": "x"})]
    with pytest.raises(InvalidInput) as wrong:
        async with db.transaction() as session:
            await bulk_register(session, SYSTEM_ACTOR, bad, pii=pii)
    assert wrong.value.field == "rows[1].uscc"
    assert await count(db, Subject) == 1


async def test_patch_override_is_admin_only_and_lifts_once_the_code_is_corrected(
    client: Client, auth_headers: AuthHeaders, db: Database
) -> None:
    officer, admin = await auth_headers("officer"), await auth_headers("admin")
    unit = await register(client, officer, INSURED_UNIT)
    url = f"{SUBJECTS}/{unit}"
    override = {
        "uscc": "91350203M0001QAY9B",
        "override_check_digit": True,
        "override_reason": "工商登记原件即为此代码",
    }
    assert_problem(
        await client.patch(url, json=override, headers=officer), 403, "override_check_digit"
    )
    answer = await client.patch(url, json=override, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["identifier_override"] is True
    (change,) = await audit_changes(db, "subject.update")
    assert change["override_check_digit"] == ["uscc"]

    # Re-sending the accepted code needs no new override; correcting it clears the flag.
    renamed = await client.patch(
        url, json={"uscc": "91350203M0001QAY9B", "name": "新名称"}, headers=officer
    )
    assert renamed.status_code == 200, renamed.text
    corrected = await client.patch(url, json={"uscc": generated_uscc(3)}, headers=officer)
    assert corrected.json()["identifier_override"] is False
    assert corrected.json()["override_reason"] is None


async def test_null_for_a_field_the_kind_lacks_is_as_good_as_leaving_it_out(
    client: Client, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    body = {**PHYSICIAN, "uscc": None, "level": None, "agreement_status": None}
    answer = await client.post(SUBJECTS, json=body, headers=officer)
    assert answer.status_code == 201, answer.text
    assert answer.json()["qualification_status"] == "normal"
    patched = await client.patch(
        f"{SUBJECTS}/{answer.json()['id']}", json={"agreement_status": None}, headers=officer
    )
    assert patched.status_code == 200, patched.text
