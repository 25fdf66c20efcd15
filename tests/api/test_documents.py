"""Printable documents: the notice and decision of a list entry, the credit report and the repair
commitment; each for its own subject and for regulators, never for anyone else."""

from __future__ import annotations

import shutil

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.kernel.actor import Actor, Role
from credit.lists import defence, service, steps
from credit.lists.models import EntryStatus
from credit.lists.schemas import DefenceInput, TransitionInput
from credit.policy.vocabulary import ListName
from tests.api.test_console_views import SCRIPT, _register
from tests.api.test_portal_pages import _sign_in
from tests.credit.lists.support import REVIEWER, day_after_periods, entry_in
from tests.indicators.support import add_record, hospital, publish, seed
from tests.indicators.test_runs import _run
from tests.repair.support import ago, file_repair, subject_actor

Client = AsyncTestClient[Litestar]


async def _subject_of(db: Database, list_name: ListName, entry_id: int) -> int:
    async with db.transaction() as session:
        return (await service.get_entry(session, list_name, entry_id)).subject_id


async def test_the_notice_is_printable_by_its_subject_and_regulators_only(
    client: Client, db: Database
) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 1)
    mine = await _subject_of(db, ListName.BLACK, entry_id)
    other = await hospital(db, 2)
    url = f"/documents/lists/black/entries/{entry_id}/notice"

    anonymous = await client.get(url, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next={url}"
    await _sign_in(client, db, "hospital.office", mine)
    page = await client.get(url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "严重失信主体名单列入告知书" in page.text
    assert "测试医院1" in page.text
    assert "陈述申辩权利" in page.text
    assert "@media print" in page.text
    assert 'onclick="window.print()"' in page.text  # the screen-only print button
    await _sign_in(client, db, "other.office", other)
    assert (await client.get(url)).status_code == 404  # not even that it exists
    await _sign_in(client, db, "officer.li", None)
    assert (await client.get(url)).status_code == 200


async def test_the_decision_states_basis_defence_rights_and_validity(
    client: Client, db: Database
) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 1)
    subject_id = await _subject_of(db, ListName.BLACK, entry_id)
    url = f"/documents/lists/black/entries/{entry_id}/decision"
    await _sign_in(client, db, "hospital.office", subject_id)
    undecided = await client.get(url)
    assert undecided.status_code == 409
    assert "与当前状态冲突" in undecided.text
    assert "has not been decided yet" in undecided.text

    subject = Actor(role=Role.SUBJECT, name="hospital.office", subject_id=subject_id)
    async with db.transaction() as session:
        await defence.submit_defence(
            session,
            subject,
            ListName.BLACK,
            entry_id,
            DefenceInput(statement="涉案费用已全额退回，请求从轻处理"),
        )
    async with db.transaction() as session:
        entry = await service.get_entry(session, ListName.BLACK, entry_id)
        await steps.move(
            session,
            REVIEWER,
            ListName.BLACK,
            entry_id,
            TransitionInput(
                to=EntryStatus.DECIDED,
                reason="依程序办理",
                documents=["湘医保信决〔2026〕8号"],
                defence_considered="退回费用不改变欺诈骗保的认定，不予采纳",
            ),
            today=day_after_periods(entry),
        )

    page = await client.get(url)
    assert page.status_code == 200
    html = page.text
    assert "严重失信主体名单列入决定书" in html
    assert "湘医保信决〔2026〕8号" in html
    assert "经查实，该机构伪造医疗文书骗取医保基金" in html  # the facts
    assert "经查实的第四十条欺诈骗保行为" in html  # the criterion
    assert "涉案费用已全额退回，请求从轻处理" in html  # the defence
    assert "不予采纳" in html  # how it was weighed
    assert "六十日内依法申请行政复议" in html
    assert "六个月内依法向人民法院提起行政诉讼" in html
    assert "起3年" in html  # validity from the pack
    assert "@media print" in html
    other = await hospital(db, 2)
    await _sign_in(client, db, "other.office", other)
    assert (await client.get(url)).status_code == 404
    assert (await client.get("/documents/lists/nosuch/entries/1/decision")).status_code == 404


async def test_a_decision_without_defence_says_the_right_was_not_used(
    client: Client, db: Database
) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.DECIDED, 1)
    await _sign_in(client, db, "officer.li", None)
    page = await client.get(f"/documents/lists/black/entries/{entry_id}/decision")
    assert page.status_code == 200
    assert "未提出陈述申辩，视为放弃陈述申辩权利" in page.text
    focus = await entry_in(db, ListName.FOCUS, EntryStatus.LISTED, 2)
    listed = await client.get(f"/documents/lists/focus/entries/{focus}/decision")
    assert "重点关注名单列入决定书" in listed.text
    assert "每12个月复核一次" in listed.text


async def test_the_credit_report_prints_for_its_subject_and_regulators(
    client: Client, db: Database
) -> None:
    await seed(db)
    mine, other = await hospital(db, 1), await hospital(db, 2)
    await add_record(db, mine, "ENF-38-SPLIT-ADMISSION", "2025-03-01", "a", document_no="罚1号")
    await add_record(db, other, "POS-COMMENDATION", "2025-02-01", "b", document_no="表彰1号")
    await publish(db, await _run(db))
    url = f"/documents/subjects/{mine}/report"

    assert (await client.get(url, follow_redirects=False)).status_code == 303
    await _sign_in(client, db, "hospital.office", mine)
    portal = await client.get("/portal")
    assert f'href="{url}"' in portal.text  # the navigation links the printable report
    page = await client.get(url)
    assert page.status_code == 200
    html = page.text
    assert "医疗保障信用报告" in html
    assert "测试医院1" in html
    assert "罚1号" in html
    assert "表彰1号" not in html
    assert "2025" in html
    assert "<svg" in html  # the score history
    assert "@media print" in html
    assert (await client.get(f"/documents/subjects/{other}/report")).status_code == 404
    await _sign_in(client, db, "officer.li", None)
    assert (await client.get(f"/documents/subjects/{other}/report")).status_code == 200


async def test_a_subject_named_like_a_script_prints_as_text(client: Client, db: Database) -> None:
    await seed(db)
    subject_id = await _register(db, SCRIPT)
    await _sign_in(client, db, "pharmacy.office", subject_id)
    page = await client.get(f"/documents/subjects/{subject_id}/report")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert SCRIPT not in page.text
    assert SCRIPT not in (await client.get("/portal")).text  # nor in the signed-in bar


async def test_the_repair_commitment_prints_for_its_subject(client: Client, db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(
        db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(200), "r", fine_amount="5000"
    )
    repair = await file_repair(
        db, subject_actor(subject_id), target_type="record", target_id=record_id
    )
    url = f"/documents/repairs/{repair.id}/commitment"
    await _sign_in(client, db, "hospital.office", subject_id)
    page = await client.get(url)
    assert page.status_code == 200
    assert "信用修复承诺书" in page.text
    assert "测试医院1" in page.text
    assert "已全额退回违规费用并缴纳罚款" in page.text
    other = await hospital(db, 2)
    await _sign_in(client, db, "other.office", other)
    assert (await client.get(url)).status_code == 404


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no headless Chromium here")
async def test_a_document_comes_as_pdf_rendered_offline(client: Client, db: Database) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    await _sign_in(client, db, "hospital.office", subject_id)
    pdf = await client.get(f"/documents/subjects/{subject_id}/report", params={"format": "pdf"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    refused = await client.get(f"/documents/subjects/{subject_id}/report?format=doc")
    assert refused.status_code == 400


async def test_signed_in_people_see_their_links_and_sign_out(client: Client, db: Database) -> None:
    await seed(db)
    await _sign_in(client, db, "officer.li", None)
    page = (await client.get("/console")).text
    for link in ("/console/subjects", "/console/imports", "/console/simulations"):
        assert f'href="{link}"' in page
    assert 'href="/console/policy"' in page
    assert 'href="/console/indicator-sets"' in page
    assert 'action="/logout"' in page
    assert 'href="/login"' not in page
    token = client.cookies.get("medcredit_csrf")
    forged = await client.post("/logout", data={})
    assert forged.status_code == 403  # signing out is a form with its CSRF token too
    out = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    after = await client.get("/console", follow_redirects=False)
    assert after.headers["location"].startswith("/login")
    subject_id = await hospital(db, 1)
    await _sign_in(client, db, "hospital.office", subject_id)
    portal = (await client.get("/portal")).text
    assert 'href="/portal"' in portal
    assert 'href="/console/subjects"' not in portal
