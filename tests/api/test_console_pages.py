"""The regulator console's dashboard and subject file, as an officer sees them."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.lists.models import EntryStatus
from credit.policy.vocabulary import ListName
from tests.api.test_portal_pages import _sign_in
from tests.credit.lists.support import entry_in
from tests.indicators.support import add_record, hospital, publish, seed
from tests.indicators.test_runs import _run

Client = AsyncTestClient[Litestar]


async def test_the_dashboard_shows_grades_trend_lists_and_open_work(
    client: Client, db: Database
) -> None:
    await seed(db)
    first = await hospital(db, 1)
    await add_record(db, first, "POS-COMMENDATION", "2025-02-01", "a")
    await publish(db, await _run(db))
    waiting = await _run(db)  # computed, waiting for review
    await entry_in(db, ListName.BLACK, EntryStatus.NOTIFIED, 7)
    await _sign_in(client, db, "officer.li", None)

    page = await client.get("/console")
    assert page.status_code == 200
    html = page.text
    assert "信用等级分布 · 2025" in html
    assert "medical_institution" in html
    assert html.count("<svg") >= 2  # the grades by kind and the trend
    assert "notified: 1" in html
    assert f"2025 (#{waiting})" in html  # the run waiting for review
    subject_file = await client.get(f"/console/subjects/{first}")
    assert subject_file.status_code == 200
    assert "测试医院1" in subject_file.text


async def test_only_regulators_open_the_console(client: Client, db: Database) -> None:
    await seed(db)
    anonymous = await client.get("/console", follow_redirects=False)
    assert anonymous.headers["location"].startswith("/login")
    subject = await hospital(db, 2)
    await _sign_in(client, db, "hospital.office", subject)
    refused = await client.get("/console")
    assert refused.status_code == 403
    assert "无权访问" in refused.text
    assert (await client.get(f"/console/subjects/{subject}")).status_code == 403
