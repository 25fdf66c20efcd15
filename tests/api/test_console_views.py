"""The console views as a regulator sees them: subject search, record import with its row-error
report, simulations, policy packs and indicator sets; and who is kept out."""

from __future__ import annotations

import dataclasses
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from stdnum.cn import uscc

from api.app import create_app
from api.db import Database
from api.settings import Settings
from api.web import views
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.ingestion.models import ImportBatch
from credit.kernel.actor import SYSTEM_ACTOR, Role
from credit.subjects import service as subjects
from credit.subjects.models import SubjectCreate
from indicators import simulation
from tests.api.imports_support import RECORD_COLUMNS, csv_text, read_csv, record
from tests.api.test_portal_pages import _sign_in
from tests.conftest import TEST_PASSWORD, AuthHeaders
from tests.indicators.support import OFFICER, hospital, seed
from tests.indicators.test_simulation import _baseline, _stricter_draft

Client = AsyncTestClient[Litestar]
SCRIPT = "<script>alert(1)</script>"
PAGES = (
    "/console/subjects",
    "/console/imports",
    "/console/simulations",
    "/console/policy",
    "/console/indicator-sets",
)


def _uscc(number: int) -> str:
    body = f"9143020{number:010d}"
    return body + uscc.calc_check_digit(body)


async def _register(db: Database, name: str, number: int = 900) -> int:
    async with db.transaction() as session:
        subject = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(kind="retail_pharmacy", name=name, uscc=_uscc(number)),
        )
    assert subject.id is not None
    return subject.id


async def sign_in(client: Client, db: Database, username: str, role: Role) -> None:
    """A regulator account of `role`, signed in through the login form."""
    async with db.transaction() as session:
        await accounts.create_account(
            session,
            SYSTEM_ACTOR,
            AccountCreate(username=username, password=TEST_PASSWORD, role=role),
        )
    await client.get("/login")
    answer = await client.post(
        "/login",
        data={"username": username, "password": TEST_PASSWORD, "_csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _csrf(client: Client) -> str:
    token = client.cookies.get("medcredit_csrf")
    assert token
    return token


async def test_search_by_name_or_identifier_pages_and_links_to_the_file(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db)
    ids = [await hospital(db, number) for number in (1, 2, 3)]
    pharmacy = await _register(db, "大药房")
    await _sign_in(client, db, "officer.li", None)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)

    first = await client.get("/console/subjects", params={"name": "测试医院"})
    assert first.status_code == 200
    assert f'href="/console/subjects/{ids[0]}">测试医院1</a>' in first.text
    assert "测试医院2" in first.text
    assert "测试医院3" not in first.text  # on the next page
    next_link = re.search(r'href="(/console/subjects\?[^"]*cursor=[^"]+)"', first.text)
    assert next_link
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert "测试医院3" in second.text
    assert "测试医院1" not in second.text
    assert "第一页" in second.text

    by_id = await client.get("/console/subjects", params={"identifier": _uscc(900)})
    assert f'href="/console/subjects/{pharmacy}">大药房</a>' in by_id.text
    assert "测试医院" not in by_id.text
    assert f"/documents/subjects/{pharmacy}/report" in by_id.text  # the printable report
    nothing = await client.get("/console/subjects", params={"name": "不存在的名称"})
    assert "没有符合条件的信用主体。" in nothing.text
    refused = await client.get("/console/subjects", params={"identifier": "12-34 中文"})
    assert refused.status_code == 400
    assert "查询条件有误" in refused.text
    assert "identifier" in refused.text


async def test_a_subject_named_like_a_script_shows_as_text(client: Client, db: Database) -> None:
    await seed(db)
    await _register(db, SCRIPT)
    await _sign_in(client, db, "officer.li", None)
    page = await client.get("/console/subjects")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert SCRIPT not in page.text


async def test_only_regulators_open_the_console_views(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    for path in PAGES:
        anonymous = await client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303, path
        assert anonymous.headers["location"] == f"/login?next={path}"
    # A partner's API key is for the feeds: the console refuses it.
    admin = await auth_headers("admin")
    issued = await client.post(
        "/api/v1/api-keys", json={"agency": "测试机构", "scopes": ["verify"]}, headers=admin
    )
    partner = {"Authorization": f"Bearer {issued.json()['key']}"}
    for path in PAGES:
        answer = await client.get(path, headers=partner, follow_redirects=False)
        assert answer.status_code == 403, path
    subject = await hospital(db, 1)
    await _sign_in(client, db, "hospital.office", subject)
    for path in (*PAGES, "/console/policy/1", "/console/imports/records/1"):
        refused = await client.get(path)
        assert refused.status_code == 403, path
        assert "无权访问" in refused.text
    posted = await client.post(
        "/console/imports",
        files={"file": ("r.csv", b"x", "text/csv")},
        data={"_csrf_token": _csrf(client), "mode": "partial"},
    )
    assert posted.status_code == 403


async def _import(client: Client, content: bytes, name: str, **fields: str) -> object:
    return await client.post(
        "/console/imports",
        files={"file": (name, content, "text/csv")},
        data={"_csrf_token": _csrf(client), "kind": "records", **fields},
        follow_redirects=False,
    )


async def test_an_import_with_bad_rows_shows_each_row_error_and_the_rejected_file(
    client: Client, db: Database
) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await _sign_in(client, db, "officer.li", None)
    form = await client.get("/console/imports")
    assert 'enctype="multipart/form-data"' in form.text
    assert 'name="_csrf_token"' in form.text
    rows = [
        record(subject, "r1", responsible=None),
        record(subject, "r2", decided_on="2025-02-30"),
        record(999_999, "r3"),
    ]
    body = csv_text(rows, RECORD_COLUMNS).encode()

    answer = await _import(client, body, "records.csv", mode="partial")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/console/imports/records/\d+", location)
    report = await client.get(location)
    html = report.text
    assert "records.csv" in html
    assert re.search(r"新增</h2><p class=\"figure\">1<", html)
    assert re.search(r"退回</h2><p class=\"figure\">2<", html)
    assert "<tr><td>3</td><td>decided_on</td><td>date</td>" in html
    assert "<tr><td>4</td><td>subject_id</td><td>exists</td>" in html
    assert "999999" in html
    download = await client.get(f"{location}/rejected.csv")
    assert download.status_code == 200
    columns, rejected = read_csv(download.content)
    assert columns == [*RECORD_COLUMNS, "error"]
    assert [row["source_ref"] for row in rejected] == ["r2", "r3"]

    again = await _import(client, body, "records.csv", mode="all_or_nothing")
    refused = await client.get(again.headers["location"])  # type: ignore[attr-defined]
    assert "按整体导入方式未保存任何一行" in refused.text
    assert re.search(r"新增</h2><p class=\"figure\">0<", refused.text)


async def test_a_file_that_cannot_be_imported_is_one_clear_message(
    client: Client, db: Database
) -> None:
    await seed(db)
    await _sign_in(client, db, "officer.li", None)
    legacy = await _import(client, b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "records.xls")
    assert legacy.status_code == 422  # type: ignore[attr-defined]
    text = legacy.text  # type: ignore[attr-defined]
    assert "文件未能导入，未保存任何记录。" in text
    assert "save the sheet as .xlsx" in text
    assert 'name="file"' in text  # the form is there to try again
    missing = await _import(client, b"subject_id,item_code\n1,X\n", "records.csv")
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert "decided_on" in missing.text  # type: ignore[attr-defined]
    empty = await client.post(
        "/console/imports",
        data={"_csrf_token": _csrf(client), "mode": "partial"},
        files={"other": ("x.txt", b"", "text/plain")},
    )
    assert empty.status_code == 422
    assert "choose a file to import" in empty.text


async def test_a_file_over_the_import_limit_is_refused_while_it_arrives(
    db: Database, settings: Settings
) -> None:
    await seed(db)
    small = create_app(dataclasses.replace(settings, import_max_bytes=2_000))
    async with AsyncTestClient(app=small) as client:
        await _sign_in(client, db, "officer.li", None)
        answer = await _import(client, b"subject_id,item_code\n" + b"1,X\n" * 1_000, "big.csv")
        assert answer.status_code == 413  # type: ignore[attr-defined]
        assert "文件过大" in answer.text  # type: ignore[attr-defined]
    leftovers = settings.var_dir / "uploads"
    assert not leftovers.exists() or not any(leftovers.iterdir())


async def test_the_import_form_needs_its_csrf_token_and_an_officer(
    client: Client, db: Database
) -> None:
    await seed(db)
    subject = await hospital(db, 1)
    await _sign_in(client, db, "officer.li", None)
    body = csv_text([record(subject, "r1")], RECORD_COLUMNS).encode()
    forged = await client.post(
        "/console/imports",
        files={"file": ("records.csv", body, "text/csv")},
        data={"mode": "partial"},
    )
    assert forged.status_code == 403
    async with db.transaction() as session:
        assert (await session.get(ImportBatch, 1)) is None  # nothing ran
    await sign_in(client, db, "reviewer.wang", Role.REVIEWER)
    # A reviewer reads imports but does not run them.
    form = await client.get("/console/imports")
    assert "只有经办人员和管理员可以导入信用信息。" in form.text
    assert 'name="file"' not in form.text
    posted = await client.post(
        "/console/imports",
        files={"file": ("records.csv", body, "text/csv")},
        data={"_csrf_token": _csrf(client), "mode": "partial"},
    )
    assert posted.status_code == 403
    async with db.transaction() as session:
        assert (await session.get(ImportBatch, 1)) is None


async def test_a_simulation_shows_its_matrix_as_a_heat_map_distributions_and_changes(
    client: Client, db: Database
) -> None:
    run_id, set_id, ids = await _baseline(db)
    draft_id = await _stricter_draft(db, set_id, 5)
    async with db.transaction() as session:
        saved = await simulation.simulate(
            session, OFFICER, name="监控违规 ×5", baseline_run_id=run_id, set_id=draft_id
        )
    await _sign_in(client, db, "officer.li", None)
    listing = await client.get("/console/simulations")
    assert f'href="/console/simulations/{saved.id}">监控违规 ×5</a>' in listing.text
    page = await client.get(f"/console/simulations/{saved.id}")
    assert page.status_code == 200
    html = page.text
    assert "等级迁移矩阵" in html
    # Baseline B: 4 stay B (the diagonal, framed), 1 moves to C; the numbers are printed.
    row_b = re.search(r'<th scope="row">B</th>(.*?)</tr>', html, re.S)
    assert row_b
    cells = re.findall(r"<td[^>]*>(\d+)</td>", row_b.group(1))
    assert cells == ["4", "1", "5"]
    assert 'class="same"' in row_b.group(1)
    assert "background-color: #0b4f8a; color: #ffffff" in row_b.group(1)  # the largest cell
    assert "71.20" in html  # the baseline mean
    assert "65.00 · 70.00 · 70.00" in html  # simulated quartiles
    assert f'href="/console/subjects/{ids[0]}"' in html
    assert "monitoring_violations: -3 → -15" in html
    assert (await client.get("/console/simulations/999999")).status_code == 404


async def test_policy_packs_and_a_version_read_as_text(client: Client, db: Database) -> None:
    await seed(db)
    await sign_in(client, db, "admin.zhao", Role.ADMIN)
    listing = await client.get("/console/policy")
    assert listing.status_code == 200
    assert "national" in listing.text
    assert "生效中" in listing.text
    national = re.search(r'href="/console/policy/(\d+)">v1</a></td>\s*<td>国家默认', listing.text)
    assert national
    page = await client.get(f"/console/policy/{national.group(1)}")
    html = page.text
    assert "国家默认医保信用政策包" in html
    assert 'id="section-lists"' in html
    assert "BLK-FRAUD-ART40" in html
    assert "《医疗保障基金使用监督管理条例》第四十条" in html
    assert "<dt>validity_years</dt><dd>3</dd>" in html
    assert "办理记录" in html


async def test_an_indicator_set_shows_dimensions_rules_and_grade_bands(
    client: Client, db: Database
) -> None:
    await seed(db)
    await _sign_in(client, db, "officer.li", None)
    listing = await client.get("/console/indicator-sets")
    found = re.search(r'href="/console/indicator-sets/(\d+)">([^<]*湖南[^<]*)</a>', listing.text)
    assert found, listing.text
    page = await client.get(f"/console/indicator-sets/{found.group(1)}")
    html = page.text
    assert found.group(2) in html
    assert "等级区间" in html
    assert "<tr><td>A</td><td>85 ≤ 得分 ≤ 100</td></tr>" in html
    assert "按记录计分" in html
    assert "一票否决" in html
    assert "monitoring_violations" in html
    english = await client.get(f"/console/indicator-sets/{found.group(1)}", params={"lang": "en"})
    assert "Grade bands" in english.text
