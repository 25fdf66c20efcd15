"""An objection from start to end in a real browser: a blacklisted hospital disputes the record
behind its entry with a scanned decision attached, an officer accepts it and opens the review, a
reviewer upholds it; the public blacklist no longer shows the hospital and its report shows the
record revoked. Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

import re
from typing import Any

from api.db import Database
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role
from tests.browser.conftest import ARTIFACTS
from tests.conftest import TEST_PASSWORD
from tests.repair.support import PDF, add_record, ago, hospital, open_entries, publish_black, seed

DECISION = "湘医保罚〔2026〕7号"


async def _blacklisted_hospital(db: Database) -> int:
    """A hospital whose fraud record grounds a blacklist entry in force (found automatically
    from the record, walked through notice, decision and publicity on past days)."""
    await seed(db)
    subject_id = await hospital(db, 1)
    await add_record(
        db,
        subject_id,
        "ENF-40-FALSE-DOCUMENTS",
        ago(60),
        "fraud",
        document_no=DECISION,
    )
    (entry,) = await open_entries(db, subject_id)
    await publish_black(db, entry.id or 0)
    async with db.transaction() as session:
        for username, role, subject in (
            ("hospital.office", Role.SUBJECT, subject_id),
            ("officer.li", Role.OFFICER, None),
            ("reviewer.wang", Role.REVIEWER, None),
        ):
            await accounts.create_account(
                session,
                SYSTEM_ACTOR,
                AccountCreate(
                    username=username, password=TEST_PASSWORD, role=role, subject_id=subject
                ),
            )
    return subject_id


async def _signed_in(browser: Any, served: str, username: str) -> Any:
    """A page in a browser context of its own, signed in as `username`."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{served}/login")
    await page.get_by_label("用户名 / User name").fill(username)
    await page.get_by_label("密码 / Password").fill(TEST_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(re.compile(r".*/me$"))
    return page


async def test_an_upheld_objection_takes_the_hospital_off_the_blacklist(
    db: Database, served: str, browser: Any, database_url: str
) -> None:
    await _blacklisted_hospital(db)
    backend = "pg" if database_url.startswith("postgresql") else "sqlite"
    public = await browser.new_page()
    await public.goto(f"{served}/lists/black")
    assert await public.get_by_role("link", name="测试医院1").count() == 1

    # The hospital objects to the record from its report, with the review decision attached.
    office = await _signed_in(browser, served, "hospital.office")
    await office.get_by_role("link", name="我的信用报告").first.click()
    await office.get_by_role("link", name="提出异议", exact=True).click()
    assert await office.get_by_text(DECISION).is_visible()
    await office.get_by_label("异议理由（必填）").fill(
        "该处罚决定已被行政复议决定撤销，记录应予撤销。"
    )
    await office.get_by_label("证据文件（PDF、PNG 或 JPEG，可选）").set_input_files(
        {"name": "复议决定书.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    await office.get_by_role("button", name="提交异议").click()
    heading = office.get_by_role("heading", level=1)
    assert re.fullmatch(r"异议 \d+ · 已提交", (await heading.inner_text()).strip())
    objection_id = office.url.split("?")[0].rsplit("/", 1)[1]
    assert await office.get_by_role("link", name="复议决定书.pdf").is_visible()
    assert await office.get_by_text("剩余 2 个工作日").is_visible()
    await office.screenshot(path=ARTIFACTS / f"objection-filed-{backend}.png", full_page=True)

    # The language switch keeps the reader on the same portal page.
    await office.get_by_role("link", name="English").click()
    assert await office.locator("html").get_attribute("lang") == "en"
    assert re.fullmatch(r"Objection \d+ · Submitted", (await heading.inner_text()).strip())
    assert await office.get_by_text("2 working days left").is_visible()
    await office.screenshot(path=ARTIFACTS / f"objection-filed-en-{backend}.png", full_page=True)
    await office.get_by_role("link", name="中文").click()
    assert await office.locator("html").get_attribute("lang") == "zh-CN"

    # An officer accepts it and opens the review from the queue.
    officer = await _signed_in(browser, served, "officer.li")
    await officer.get_by_role("link", name="待办：异议").first.click()
    await officer.locator(f'a[href="/console/objections/{objection_id}"]').click()
    await officer.get_by_role("button", name="受理", exact=True).click()
    assert await officer.get_by_text("已办理：已受理").is_visible()
    await officer.get_by_role("button", name="开始审查", exact=True).click()
    assert await officer.get_by_text("已办理：审查中").is_visible()
    await officer.screenshot(path=ARTIFACTS / f"objection-review-{backend}.png", full_page=True)
    await office.goto(f"{served}/portal")
    disputed = office.get_by_role("row").filter(has_text=DECISION)
    assert await disputed.get_by_text("异议中").is_visible()  # flagged while under review

    # A reviewer who took no part so far upholds it.
    reviewer = await _signed_in(browser, served, "reviewer.wang")
    await reviewer.goto(f"{served}/console/objections/{objection_id}")
    await reviewer.get_by_label("决定理由（必填）").fill("行政复议决定撤销原处罚决定")
    await reviewer.get_by_role("button", name="异议成立", exact=True).click()
    assert await reviewer.get_by_text("已办理：异议成立").is_visible()
    await reviewer.screenshot(path=ARTIFACTS / f"objection-upheld-{backend}.png", full_page=True)

    # The public list no longer shows the hospital; its report shows the record revoked.
    await public.goto(f"{served}/lists/black")
    assert await public.get_by_role("link", name="测试医院1").count() == 0
    assert await public.get_by_text("共 0 条").is_visible()
    await public.screenshot(path=ARTIFACTS / f"blacklist-after-{backend}.png", full_page=True)
    await office.goto(f"{served}/portal")
    record_row = office.get_by_role("row").filter(has_text=DECISION)
    assert await record_row.get_by_text("已撤销").is_visible()
    await office.screenshot(path=ARTIFACTS / f"report-revoked-{backend}.png", full_page=True)
    await office.goto(f"{served}/portal/objections/{objection_id}")
    assert await office.get_by_role("heading", name=re.compile("异议成立")).is_visible()
    for page in (public, office, officer, reviewer):
        await page.context.close()
