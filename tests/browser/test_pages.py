"""Pages in a real browser: a member of the public searches the blacklist and switches language;
a subject signs in and reads its report. Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.db import Database
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role
from credit.kernel.clock import business_today
from credit.policy.vocabulary import ListName
from tests.browser.conftest import ARTIFACTS
from tests.conftest import TEST_PASSWORD
from tests.credit.lists.support import published_since
from tests.indicators.support import add_record, hospital, seed
from tests.indicators.test_points import recent_day


async def test_the_public_searches_the_blacklist_in_both_languages(
    db: Database, served: str, browser: Any, database_url: str
) -> None:
    await seed(db)
    listed = await hospital(db, 1)
    await hospital(db, 2)
    await published_since(db, ListName.BLACK, listed, business_today() - timedelta(days=45))
    backend = "pg" if database_url.startswith("postgresql") else "sqlite"

    page = await browser.new_page()
    await page.goto(f"{served}/")
    await page.get_by_role("link", name="黑名单").first.click()
    await page.get_by_label("按名称或统一社会信用代码、医保编码、身份证号搜索").fill("测试医院1")
    await page.get_by_role("button", name="搜索").click()
    assert await page.get_by_role("link", name="测试医院1").count() == 1
    assert "共 1 条" in await page.content()
    await page.screenshot(path=ARTIFACTS / f"blacklist-zh-{backend}.png", full_page=True)

    await page.get_by_role("link", name="测试医院1").click()
    assert await page.get_by_role("heading", name="测试医院1").is_visible()
    await page.get_by_role("link", name="English").click()
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.get_by_text("Confirmed fraud under Article 40").is_visible()
    await page.get_by_role("link", name="Blacklist").first.click()  # the choice is remembered
    assert await page.get_by_role("heading", name="Blacklist").is_visible()
    await page.screenshot(path=ARTIFACTS / f"blacklist-en-{backend}.png", full_page=True)
    await page.close()


async def test_a_subject_signs_in_and_reads_its_report(
    db: Database, served: str, browser: Any, database_url: str
) -> None:
    await seed(db)
    mine = await hospital(db, 1)
    await add_record(db, mine, "ENF-38-SPLIT-ADMISSION", recent_day(), "a", document_no="罚1号")
    async with db.transaction() as session:
        await accounts.create_account(
            session,
            SYSTEM_ACTOR,
            AccountCreate(
                username="hospital.office",
                password=TEST_PASSWORD,
                role=Role.SUBJECT,
                subject_id=mine,
            ),
        )
    backend = "pg" if database_url.startswith("postgresql") else "sqlite"

    page = await browser.new_page()
    await page.goto(f"{served}/login")
    await page.get_by_label("用户名 / User name").fill("hospital.office")
    await page.get_by_label("密码 / Password").fill(TEST_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.get_by_role("link", name="我的信用报告").first.click()
    assert await page.get_by_role("heading", name="我的信用报告 · 测试医院1").is_visible()
    assert await page.get_by_text("罚1号").is_visible()
    assert await page.get_by_role("heading", name="主要失分原因").is_visible()
    await page.screenshot(path=ARTIFACTS / f"portal-{backend}.png", full_page=True)
    await page.close()
