"""The subject portal as a hospital's insurance office sees it after signing in."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role
from tests.conftest import TEST_PASSWORD
from tests.indicators.support import add_record, hospital, publish, seed
from tests.indicators.test_points import recent_day
from tests.indicators.test_runs import _run

Client = AsyncTestClient[Litestar]


async def _sign_in(client: Client, db: Database, username: str, subject_id: int | None) -> None:
    role = Role.SUBJECT if subject_id else Role.OFFICER
    async with db.transaction() as session:
        await accounts.create_account(
            session,
            SYSTEM_ACTOR,
            AccountCreate(
                username=username, password=TEST_PASSWORD, role=role, subject_id=subject_id
            ),
        )
    await client.get("/login")
    token = client.cookies.get("medcredit_csrf")
    answer = await client.post(
        "/login",
        data={"username": username, "password": TEST_PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303


async def test_a_subject_reads_its_report_with_reasons_history_and_records(
    client: Client, db: Database
) -> None:
    await seed(db)
    mine, other = await hospital(db, 1), await hospital(db, 2)
    await add_record(db, mine, "ENF-38-SPLIT-ADMISSION", "2025-03-01", "a", document_no="罚1号")
    await add_record(db, mine, "ENF-38-SPLIT-ADMISSION", recent_day(), "c", document_no="罚2号")
    await add_record(db, other, "POS-COMMENDATION", "2025-02-01", "b", document_no="表彰1号")
    await publish(db, await _run(db))
    await _sign_in(client, db, "hospital.office", mine)

    page = await client.get("/portal")
    assert page.status_code == 200
    html = page.text
    assert "我的信用报告 · 测试医院1" in html
    assert "罚1号" in html  # its own records
    assert "罚2号" in html
    assert "表彰1号" not in html  # never another subject's
    assert "<svg" in html  # the grade history chart
    assert "2025" in html
    assert "主要失分原因" in html
    english = (await client.get("/portal", params={"lang": "en"})).text
    assert "My credit report" in english


async def test_the_portal_needs_a_subject_account(client: Client, db: Database) -> None:
    await seed(db)
    anonymous = await client.get("/portal", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    await _sign_in(client, db, "officer.li", None)
    officer = await client.get("/portal", follow_redirects=False)
    assert officer.headers["location"] == "/me"
