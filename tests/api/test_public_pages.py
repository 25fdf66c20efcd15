"""Public pages as a member of the public sees them: the lists in force, search, entry pages with
masked identifiers, publicity notices and grades, both languages, error pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from stdnum.cn import uscc

from api.db import Database
from credit.kernel.clock import business_today
from credit.lists.models import EntryStatus
from credit.policy.vocabulary import ListName
from tests.conftest import AuthHeaders
from tests.credit.lists.support import advance, propose, published_since
from tests.indicators.support import add_record, publish, seed

HOSPITAL = {
    "kind": "medical_institution",
    "name": "长沙市示例骨科医院",
    "uscc": "91430100MA4L0001XA",
    "region_code": "430102",
}
PHYSICIAN = {
    "kind": "physician",
    "name": "王医生",
    "resident_id": "11010519491231002X",
    "nhsa_code": "D110105000123",
    "region_code": "110105",
}
Client = AsyncTestClient[Litestar]


def _uscc(number: int) -> str:
    body = f"9143010{number:010d}"
    return body + uscc.calc_check_digit(body)


async def _subject(client: Client, headers: dict[str, str], body: dict[str, Any]) -> int:
    response = await client.post("/api/v1/subjects", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _listed(client: Client, db: Database, auth_headers: AuthHeaders) -> dict[str, int]:
    await seed(db)
    officer = await auth_headers("officer")
    hospital = await _subject(client, officer, HOSPITAL)
    physician = await _subject(client, officer, PHYSICIAN)
    started = business_today() - timedelta(days=45)
    return {
        "hospital": hospital,
        "physician": physician,
        "hospital_entry": await published_since(db, ListName.BLACK, hospital, started),
        "physician_entry": await published_since(db, ListName.BLACK, physician, started),
    }


async def test_the_public_blacklist_shows_entries_in_force_with_identifiers_masked(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    ids = await _listed(client, db, auth_headers)
    officer = await auth_headers("officer")
    other = {**HOSPITAL, "name": "尚未公布医院", "uscc": _uscc(99)}
    not_yet = await propose(db, ListName.BLACK, await _subject(client, officer, other))

    page = await client.get("/lists/black")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "长沙市示例骨科医院" in html
    assert "王医生" in html
    assert "91430100MA4L0001XA" in html  # an organisation's code is public
    assert PHYSICIAN["resident_id"] not in html  # a person's is masked
    assert "共 2 条" in html
    assert f"/lists/black/{not_yet}" not in html

    entry = await client.get(f"/lists/black/{ids['physician_entry']}")
    assert entry.status_code == 200
    assert PHYSICIAN["resident_id"] not in entry.text
    assert "1101" in entry.text  # the mask keeps the leading digits
    assert "经查实的第四十条欺诈骗保行为" in entry.text  # the criterion, in words
    assert "《医疗保障基金使用监督管理条例》第四十条" in entry.text

    # Not published, another list, or no such entry: the same "page not found".
    for path in (
        f"/lists/black/{not_yet}",
        f"/lists/red/{ids['hospital_entry']}",
        "/lists/focus",
        "/lists/black/999999",
    ):
        missing = await client.get(path)
        assert missing.status_code == 404, path
        assert "页面不存在" in missing.text


async def test_search_by_name_or_identifier(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    await _listed(client, db, auth_headers)
    by_name = (await client.get("/lists/black", params={"q": "骨科"})).text
    assert "长沙市示例骨科医院" in by_name
    assert "王医生" not in by_name
    by_code = (await client.get("/lists/black", params={"q": "91430100ma4l0001xa"})).text
    assert "长沙市示例骨科医院" in by_code
    by_resident_id = (await client.get("/lists/black", params={"q": PHYSICIAN["resident_id"]})).text
    assert "王医生" in by_resident_id
    assert "长沙市示例骨科医院" not in by_resident_id
    nothing = (await client.get("/lists/black", params={"q": "不存在的名字"})).text
    assert "没有符合条件的条目" in nothing
    assert "共 0 条" in nothing


async def test_paging_walks_the_list(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    officer = await auth_headers("officer")
    started = business_today() - timedelta(days=45)
    for number in range(3):
        body = {**HOSPITAL, "name": f"分页医院{number}", "uscc": _uscc(number + 10)}
        subject = await _subject(client, officer, body)
        await published_since(db, ListName.BLACK, subject, started)
    first = (await client.get("/lists/black", params={"page": 1})).text
    assert "第 1 / 1 页" in first
    beyond = await client.get("/lists/black", params={"page": 0})
    assert beyond.status_code == 400


async def test_text_is_escaped(client: Client, db: Database, auth_headers: AuthHeaders) -> None:
    await seed(db)
    officer = await auth_headers("officer")
    body = {**HOSPITAL, "name": "<script>alert(1)</script>"}
    subject = await _subject(client, officer, body)
    await published_since(db, ListName.BLACK, subject, business_today() - timedelta(days=45))
    html = (await client.get("/lists/black")).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_english_on_request_and_remembered(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    await _listed(client, db, auth_headers)
    assert '<html lang="zh-CN">' in (await client.get("/")).text
    english = await client.get("/lists/black", params={"lang": "en"})
    assert '<html lang="en">' in english.text
    assert "Blacklist" in english.text
    assert "Confirmed fraud under Article 40" in english.text
    switched = await client.get("/lang/en", params={"next": "/lists/red"}, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/lists/red"
    assert "Red list" in (await client.get("/lists/red")).text  # the cookie remembers
    assert "Page not found" in (await client.get("/lists/nowhere")).text
    back = await client.get("/lang/zh", params={"next": "//evil.example/"}, follow_redirects=False)
    assert back.headers["location"] == "/"  # never off the site
    assert "红名单" in (await client.get("/lists/red")).text


async def test_home_counts_and_notices_show_publicity_and_grades(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    ids = await _listed(client, db, auth_headers)
    await add_record(db, ids["hospital"], "POS-COMMENDATION", "2025-02-01", "c1")
    home = (await client.get("/")).text
    assert "暂无公开的评价结果" in home

    from tests.indicators.test_runs import _run  # the Hunan set over 2025

    run_id = await _run(db)
    await publish(db, run_id)
    notices = (await client.get("/notices")).text
    assert "2025" in notices
    assert "已发布" in notices
    grades = await client.get(f"/grades/{run_id}")
    assert grades.status_code == 200
    # Hunan publishes institutions' grades, never a person's.
    assert "长沙市示例骨科医院" in grades.text
    assert "王医生" not in grades.text
    assert (await client.get("/grades/424242")).status_code == 404


async def test_a_red_entry_in_publicity_is_not_on_the_public_list(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    officer = await auth_headers("officer")
    subject = await _subject(client, officer, HOSPITAL)
    entry = await propose(db, ListName.RED, subject)
    await advance(db, ListName.RED, entry, EntryStatus.APPROVED)
    await advance(db, ListName.RED, entry, EntryStatus.PUBLICITY)
    assert "长沙市示例骨科医院" not in (await client.get("/lists/red")).text
