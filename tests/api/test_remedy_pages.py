"""The portal's remedy pages as a hospital's insurance office uses them: objections filed with
evidence from a form, repair conditions before filing, the commitment letter, documents, the
inbox; another subject's case is never shown, bad input is told plainly and nothing is kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db import Database
from api.settings import Settings
from api.web import actions, i18n, refusals
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.kernel.actor import SYSTEM_ACTOR, Role
from repair.models import EvidenceFile, Objection, Repair
from tests.conftest import TEST_PASSWORD
from tests.repair.support import (
    EXE,
    OFFICER,
    OFFICER2,
    PDF,
    PNG,
    add_record,
    ago,
    file_objection,
    hospital,
    move_objection,
    open_entries,
    publish_black,
    seed,
    subject_actor,
    under_review,
)

Client = AsyncTestClient[Litestar]
LIMIT = 64 * 1024


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A small evidence limit, so an oversized file is cheap to send."""
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough",
        var_dir=tmp_path / "var",
        evidence_max_bytes=LIMIT,
    )


async def sign_in(
    client: Client, db: Database, username: str, role: Role, subject_id: int | None = None
) -> None:
    """A new account of `role`, signed in through the login form (the client keeps the cookie)."""
    async with db.transaction() as session:
        await accounts.create_account(
            session,
            SYSTEM_ACTOR,
            AccountCreate(
                username=username, password=TEST_PASSWORD, role=role, subject_id=subject_id
            ),
        )
    await client.get("/login")
    answer = await client.post(
        "/login",
        data={"username": username, "password": TEST_PASSWORD, "_csrf_token": token(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def token(client: Client) -> str:
    value = client.cookies.get("medcredit_csrf")
    assert value
    return value


async def count(db: Database, model: type[object]) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _subject_with_record(client: Client, db: Database) -> tuple[int, int]:
    await seed(db)
    own = await hospital(db, 1)
    record_id = await add_record(
        db, own, "ENF-38-SPLIT-ADMISSION", ago(40), "r1", document_no="罚1号"
    )
    await sign_in(client, db, "hospital.office", Role.SUBJECT, own)
    return own, record_id


async def _file(client: Client, record_id: int, **files: tuple[str, bytes, str]) -> Response:
    return await client.post(
        "/portal/objections",
        data={
            "_csrf_token": token(client),
            "target_type": "record",
            "target_id": str(record_id),
            "grounds": "处罚决定已被行政复议撤销",
        },
        files=files or None,
        follow_redirects=False,
    )


async def test_a_subject_files_an_objection_with_evidence_from_its_report(
    client: Client, db: Database
) -> None:
    _, record_id = await _subject_with_record(client, db)
    report = (await client.get("/portal")).text
    form_link = f"/portal/objections/new?target_type=record&target_id={record_id}"
    assert form_link in report

    form = await client.get(form_link)
    assert form.status_code == 200
    assert "罚1号" in form.text
    assert 'enctype="multipart/form-data"' in form.text

    filed = await _file(client, record_id, file=("复议决定.pdf", PDF, "application/pdf"))
    assert filed.status_code == 303
    location = filed.headers["location"]
    assert re.fullmatch(r"/portal/objections/\d+\?done=filed", location)
    page = (await client.get(location)).text
    assert "已提交" in page
    assert "剩余 2 个工作日" in page  # accepted or refused within 2 working days
    assert "复议决定.pdf" in page
    assert "处罚决定已被行政复议撤销" in page
    link = re.search(r'href="(/portal/objections/\d+/evidence/\d+)"', page)
    assert link is not None
    download = await client.get(link.group(1))
    assert download.status_code == 200
    assert download.content == PDF

    mine = (await client.get("/portal/objections")).text
    assert "剩余 2 个工作日" in mine
    overview = (await client.get("/portal/remedies")).text
    assert "办理中的事项" in overview
    assert location.split("?")[0] in overview
    english = (await client.get(location.split("?")[0], params={"lang": "en"})).text
    assert "Objection" in english
    assert "2 working days left" in english


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_grounds", "请填写异议理由"),
        ("disguised", "文件名或类型与文件内容不符"),
        ("executable", "只接受 PDF、PNG 或 JPEG 文件"),
        ("oversized", "文件过大"),
    ],
)
async def test_bad_input_is_told_and_nothing_is_kept(
    client: Client, db: Database, case: str, message: str
) -> None:
    _, record_id = await _subject_with_record(client, db)
    data = {
        "_csrf_token": token(client),
        "target_type": "record",
        "target_id": str(record_id),
        "grounds": "   " if case == "no_grounds" else "记录有误",
    }
    sent = {
        "no_grounds": ("scan.pdf", PDF, "application/pdf"),
        "disguised": ("scan.pdf", PNG, "application/pdf"),  # a picture named as a PDF
        "executable": ("scan.pdf", EXE, "application/pdf"),  # a program named as a PDF
        "oversized": ("scan.pdf", PDF + b"\x00" * LIMIT, "application/pdf"),
    }[case]
    answer = await client.post("/portal/objections", data=data, files={"file": sent})
    assert answer.status_code == 422
    assert message in answer.text
    assert "记录有误" in answer.text or case == "no_grounds"  # what was typed is kept
    assert await count(db, Objection) == 0
    assert await count(db, EvidenceFile) == 0


async def test_a_body_past_the_page_limit_is_refused_before_it_is_read(
    client: Client, db: Database
) -> None:
    _, record_id = await _subject_with_record(client, db)
    huge = PDF + b"\x00" * (LIMIT + actions.FORM_ALLOWANCE)
    answer = await _file(client, record_id, file=("scan.pdf", huge, "application/pdf"))
    assert answer.status_code == 413
    assert "文件过大" in answer.text
    assert await count(db, Objection) == 0


async def test_a_target_outside_its_window_shows_why(client: Client, db: Database) -> None:
    await seed(db)
    own = await hospital(db, 1)
    ended = await add_record(db, own, "ENF-39-RECORD-KEEPING", ago(200), "old")
    await sign_in(client, db, "hospital.office", Role.SUBJECT, own)
    page = await client.get(
        "/portal/objections/new", params={"target_type": "record", "target_id": ended}
    )
    assert page.status_code == 409
    assert "该事项目前不能提出异议。" in page.text
    assert '<form method="post" action="/portal/objections"' not in page.text


async def test_another_subjects_case_does_not_exist(client: Client, db: Database) -> None:
    await seed(db)
    own, other = await hospital(db, 1), await hospital(db, 2)
    theirs = await add_record(db, other, "ENF-38-SPLIT-ADMISSION", ago(40), "t1")
    filed = await file_objection(db, subject_actor(other), target_type="record", target_id=theirs)
    await sign_in(client, db, "hospital.office", Role.SUBJECT, own)
    for path in (
        f"/portal/objections/{filed.id}",
        f"/portal/objections/{filed.id}/evidence/1",
        f"/portal/objections/new?target_type=record&target_id={theirs}",
        f"/portal/repairs/eligibility?target_type=record&target_id={theirs}",
    ):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert "页面不存在" in answer.text
    stolen = await _file(client, theirs)
    assert stolen.status_code == 404
    assert await count(db, Objection) == 1
    mine = (await client.get("/portal/objections")).text
    assert f"/portal/objections/{filed.id}" not in mine


async def test_the_remedy_pages_need_a_subject_account(client: Client, db: Database) -> None:
    await seed(db)
    for path in ("/portal/remedies", "/portal/objections", "/portal/repairs", "/portal/inbox"):
        anonymous = await client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303, path
        assert anonymous.headers["location"].startswith("/login")
    await sign_in(client, db, "officer.li", Role.OFFICER)
    assert (await client.get("/portal/objections")).status_code == 403
    assert (await client.get("/portal/inbox")).status_code == 200  # every account has an inbox


async def test_every_portal_form_needs_its_csrf_token(client: Client, db: Database) -> None:
    own, record_id = await _subject_with_record(client, db)
    filed = await file_objection(db, subject_actor(own), target_type="record", target_id=record_id)
    for path, files in (
        ("/portal/objections", {"file": ("scan.pdf", PDF, "application/pdf")}),
        (f"/portal/objections/{filed.id}/evidence", {"file": ("scan.pdf", PDF, "application/pdf")}),
        ("/portal/repairs", None),
        ("/portal/repairs/1/evidence", {"file": ("scan.pdf", PDF, "application/pdf")}),
        ("/portal/inbox/1/read", None),
    ):
        data = {"target_type": "record", "target_id": str(record_id), "grounds": "有误"}
        answer = await client.post(path, data=data, files=files)
        assert answer.status_code == 403, path
        assert "无权访问" in answer.text
    assert await count(db, Objection) == 1
    assert await count(db, EvidenceFile) == 0


async def test_more_evidence_while_the_objection_is_open(client: Client, db: Database) -> None:
    own, record_id = await _subject_with_record(client, db)
    filed = await file_objection(db, subject_actor(own), target_type="record", target_id=record_id)
    added = await client.post(
        f"/portal/objections/{filed.id}/evidence",
        data={"_csrf_token": token(client)},
        files={"file": ("photo.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = (await client.get(added.headers["location"])).text
    assert "photo.png" in page
    assert "上传材料" in page  # the event
    none_chosen = await client.post(
        f"/portal/objections/{filed.id}/evidence", data={"_csrf_token": token(client)}
    )
    assert none_chosen.status_code == 422
    assert "请选择要上传的文件" in none_chosen.text


async def test_the_flag_shows_on_the_report_while_under_review(
    client: Client, db: Database
) -> None:
    own, record_id = await _subject_with_record(client, db)
    filed = await file_objection(db, subject_actor(own), target_type="record", target_id=record_id)
    await under_review(db, filed.id or 0)
    assert "异议中" in (await client.get("/portal")).text
    page = (await client.get(f"/portal/objections/{filed.id}")).text
    assert "审查中" in page
    assert "经办人员" in page  # the subject sees roles, not officers' names
    assert OFFICER2.name not in page


async def test_repair_conditions_before_filing_then_the_letter_and_documents(
    client: Client, db: Database
) -> None:
    await seed(db)
    early_one, ready_one = await hospital(db, 1), await hospital(db, 2)
    young = await add_record(db, early_one, "ENF-40-OTHER-FRAUD", ago(60), "y", fine_amount="5000")
    old = await add_record(
        db, ready_one, "ENF-38-SPLIT-ADMISSION", ago(200), "o", fine_amount="5000"
    )
    await sign_in(client, db, "hospital.one", Role.SUBJECT, early_one)

    early = await client.get(
        "/portal/repairs/eligibility", params={"target_type": "record", "target_id": young}
    )
    assert early.status_code == 200
    assert "目前不能申请信用修复" in early.text
    assert "最短公示期" in early.text
    assert re.search(r"可自 \d{4}-\d{2}-\d{2} 起满足", early.text)
    assert "申请信用修复</button>" not in early.text
    refused = await client.post(
        "/portal/repairs",
        data={
            "_csrf_token": token(client),
            "target_type": "record",
            "target_id": str(young),
            "statement": "已整改",
        },
    )
    assert refused.status_code == 422
    assert "目前不能申请信用修复" in refused.text
    assert await count(db, Repair) == 0

    await sign_in(client, db, "hospital.two", Role.SUBJECT, ready_one)
    ready = await client.get(
        "/portal/repairs/eligibility", params={"target_type": "record", "target_id": old}
    )
    assert "各项条件均已满足" in ready.text
    no_statement = await client.post(
        "/portal/repairs",
        data={"_csrf_token": token(client), "target_type": "record", "target_id": str(old)},
    )
    assert no_statement.status_code == 422
    assert "请说明已如何纠正失信行为" in no_statement.text
    filed = await client.post(
        "/portal/repairs",
        data={
            "_csrf_token": token(client),
            "target_type": "record",
            "target_id": str(old),
            "statement": "已退回违规费用并缴纳罚款",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303
    repair_page = filed.headers["location"].split("?")[0]
    page = (await client.get(repair_page)).text
    assert "须上传材料" in page
    letter = await client.get(f"{repair_page}/commitment")
    assert letter.status_code == 200
    assert "信用修复承诺书" in letter.text
    for purpose in ("commitment", "obligation"):
        sent = await client.post(
            f"{repair_page}/evidence",
            data={"_csrf_token": token(client), "purpose": purpose},
            files={"file": (f"{purpose}.pdf", PDF, "application/pdf")},
            follow_redirects=False,
        )
        assert sent.status_code == 303
    page = (await client.get(repair_page)).text
    assert "须上传材料" not in page
    assert "commitment.pdf" in page
    assert "签字的信用修复承诺书" in page
    assert repair_page in (await client.get("/portal/repairs")).text


async def test_the_inbox_tells_of_steps_and_marks_them_read(client: Client, db: Database) -> None:
    own, record_id = await _subject_with_record(client, db)
    filed = await file_objection(db, subject_actor(own), target_type="record", target_id=record_id)
    await move_objection(db, OFFICER, filed.id or 0, "accepted")
    inbox = (await client.get("/portal/inbox")).text
    assert "未读 1 条" in inbox
    assert f'href="/portal/objections/{filed.id}"' in inbox
    item = re.search(r'action="(/portal/inbox/\d+/read)"', inbox)
    assert item is not None
    read = await client.post(
        item.group(1), data={"_csrf_token": token(client)}, follow_redirects=False
    )
    assert read.status_code == 303
    assert "未读 0 条" in (await client.get("/portal/inbox")).text


def test_every_message_the_pages_say_in_python_is_translated() -> None:
    missing = sorted(refusals.messages() - set(i18n.catalog("en")))
    assert not missing, f"add to api/web/locale/en.po: {missing}"


async def test_a_disputed_list_entry_shows_under_objection_on_the_public_pages(
    client: Client, db: Database
) -> None:
    await seed(db)
    own = await hospital(db, 1)
    await add_record(db, own, "ENF-40-FALSE-DOCUMENTS", ago(60), "fraud")
    (entry,) = await open_entries(db, own)
    await publish_black(db, entry.id or 0)
    await sign_in(client, db, "hospital.office", Role.SUBJECT, own)
    overview = (await client.get("/portal/remedies")).text
    form = f"/portal/objections/new?target_type=list_entry&target_id={entry.id}"
    assert form in overview
    assert "黑名单" in (await client.get(form)).text
    filed = await client.post(
        "/portal/objections",
        data={
            "_csrf_token": token(client),
            "target_type": "list_entry",
            "target_id": str(entry.id),
            "grounds": "列入所依据的处罚已被撤销",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303
    objection_id = int(filed.headers["location"].split("?")[0].rsplit("/", 1)[1])
    assert "异议中" not in (await client.get("/lists/black")).text  # not before the review
    await under_review(db, objection_id)
    listed = (await client.get("/lists/black")).text
    assert '<span class="tag objection">异议中</span>' in listed
    page = (await client.get(f"/lists/black/{entry.id}")).text
    assert "该条目的异议正在审查中（异议中）。" in page
    assert "异议中" in (await client.get("/portal/remedies")).text
    english = (await client.get("/lists/black", params={"lang": "en"})).text
    assert "Under objection" in english or "under objection" in english
