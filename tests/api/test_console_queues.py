"""The console's work queues as officers and reviewers use them: objections and repairs overdue
first, list proposals and runs with the steps their procedures allow; a refused step is told on
the page in the reader's language and changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.kernel.actor import Role
from credit.lists.models import EntryStatus
from credit.policy.vocabulary import ListName
from repair import repository
from repair.models import ObjectionStatus
from tests.api.test_remedy_pages import sign_in, token
from tests.credit.lists.support import entry_in
from tests.indicators.support import seed as seed_with_sets
from tests.indicators.test_runs import _run
from tests.repair.support import (
    add_record,
    ago,
    attach,
    file_objection,
    file_repair,
    hospital,
    seed,
    subject_actor,
    today,
)

Client = AsyncTestClient[Litestar]


async def _objection(db: Database, number: int = 1, filed_days_ago: int = 0) -> int:
    subject_id = await hospital(db, number)
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(40), f"r{number}")
    filed = await file_objection(
        db,
        subject_actor(subject_id),
        target_type="record",
        target_id=record_id,
        today=today() - timedelta(days=filed_days_ago),
    )
    assert filed.id is not None
    return filed.id


async def _step(client: Client, path: str, to: str, **fields: str) -> Response:
    return await client.post(
        path, data={"_csrf_token": token(client), "to": to, **fields}, follow_redirects=False
    )


async def _status(db: Database, objection_id: int) -> str:
    async with db.transaction() as session:
        found = await repository.objection(session, objection_id)
    assert found is not None
    return found.status


async def test_an_objection_is_accepted_reviewed_and_upheld_from_the_queue(
    client: Client, db: Database
) -> None:
    await seed(db)
    objection_id = await _objection(db)
    page = f"/console/objections/{objection_id}"
    await sign_in(client, db, "officer.li", Role.OFFICER)
    queue = (await client.get("/console/objections")).text
    assert f'href="{page}"' in queue
    assert "测试医院1" in queue
    assert "剩余 2 个工作日" in queue
    detail = (await client.get(page)).text
    assert "处罚决定已被行政复议撤销" in detail  # the grounds
    assert 'value="accepted"' in detail

    accepted = await _step(client, f"{page}/steps", "accepted")
    assert accepted.status_code == 303
    shown = (await client.get(accepted.headers["location"])).text
    assert "已办理：已受理" in shown
    assert "剩余 10 个工作日" in shown  # the decision is due in 10 working days
    assert (await _step(client, f"{page}/steps", "under_review")).status_code == 303
    by_officer = await _step(client, f"{page}/steps", "upheld", reason="复议撤销")
    assert by_officer.status_code == 403
    assert "您的角色不能办理这一步；未作任何更改。" in by_officer.text

    await sign_in(client, db, "reviewer.wang", Role.REVIEWER)
    no_reason = await _step(client, f"{page}/steps", "upheld")
    assert no_reason.status_code == 422
    assert "这一步须填写理由。" in no_reason.text
    assert await _status(db, objection_id) == ObjectionStatus.UNDER_REVIEW
    upheld = await _step(client, f"{page}/steps", "upheld", reason="行政复议决定撤销原处罚")
    assert upheld.status_code == 303
    decided = (await client.get(page)).text
    assert "异议成立" in decided
    assert "行政复议决定撤销原处罚" in decided
    assert "reviewer.wang" in decided  # regulators see who acted
    assert f'href="{page}"' not in (await client.get("/console/objections")).text


async def test_a_refused_step_is_told_in_the_readers_language_and_changes_nothing(
    client: Client, db: Database
) -> None:
    await seed(db)
    objection_id = await _objection(db)
    steps = f"/console/objections/{objection_id}/steps"
    await sign_in(client, db, "reviewer.zhou", Role.REVIEWER)
    assert (await _step(client, steps, "accepted")).status_code == 303
    assert (await _step(client, steps, "under_review")).status_code == 303
    async with db.transaction() as session:
        events = len(await repository.objection_events(session, objection_id))

    stale = await _step(client, steps, "accepted")
    assert stale.status_code == 409
    assert "该事项当前为「审查中」状态，不能办理这一步；未作任何更改。" in stale.text
    own_review = await _step(client, steps, "dismissed", reason="理由不成立")
    assert own_review.status_code == 403
    assert "四眼原则" in own_review.text
    client.cookies.set("medcredit_lang", "en")
    english = await _step(client, steps, "dismissed", reason="no grounds")
    assert english.status_code == 403
    assert "Four eyes" in english.text
    assert "Nothing was changed." in english.text
    async with db.transaction() as session:
        assert len(await repository.objection_events(session, objection_id)) == events
    assert await _status(db, objection_id) == ObjectionStatus.UNDER_REVIEW


async def test_the_decision_deadline_is_extended_once_with_a_reason(
    client: Client, db: Database
) -> None:
    await seed(db)
    objection_id = await _objection(db)
    steps = f"/console/objections/{objection_id}/steps"
    await sign_in(client, db, "officer.li", Role.OFFICER)
    await _step(client, steps, "accepted")
    no_reason = await _step(client, steps, "extended")
    assert no_reason.status_code == 422
    extended = await _step(client, steps, "extended", reason="需调取原始病历")
    assert extended.status_code == 303
    page = (await client.get(f"/console/objections/{objection_id}")).text
    assert "剩余 20 个工作日" in page
    assert "需调取原始病历" in page
    again = await _step(client, steps, "extended", reason="再次延期")
    assert again.status_code == 409
    assert "期限已延长过" in again.text


async def test_the_queue_puts_overdue_objections_first(client: Client, db: Database) -> None:
    await seed(db)
    recent = await _objection(db, 1)
    overdue = await _objection(db, 2, filed_days_ago=20)
    await sign_in(client, db, "officer.li", Role.OFFICER)
    queue = (await client.get("/console/objections")).text
    assert queue.index(f'/console/objections/{overdue}"') < queue.index(
        f'/console/objections/{recent}"'
    )
    assert "已逾期" in queue


async def test_a_repair_needs_its_documents_before_it_is_accepted(
    client: Client, db: Database, tmp_path: Path
) -> None:
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(
        db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(200), "r", fine_amount="5000"
    )
    subject = subject_actor(subject_id)
    filed = await file_repair(db, subject, target_type="record", target_id=record_id)
    steps = f"/console/repairs/{filed.id}/steps"
    await sign_in(client, db, "officer.li", Role.OFFICER)
    queue = (await client.get("/console/repairs")).text
    assert f'href="/console/repairs/{filed.id}"' in queue
    missing = await _step(client, steps, "accepted")
    assert missing.status_code == 409
    assert "尚缺材料：履行义务的证明、签字的信用修复承诺书" in missing.text

    await attach(db, subject, filed, "obligation", tmp_path)
    await attach(db, subject, filed, "commitment", tmp_path, file_name="承诺书.pdf")
    assert (await _step(client, steps, "accepted")).status_code == 303
    assert (await _step(client, steps, "under_review")).status_code == 303
    await sign_in(client, db, "reviewer.wang", Role.REVIEWER)
    page = (await client.get(f"/console/repairs/{filed.id}")).text
    assert "承诺书.pdf" in page
    approved = await _step(client, steps, "approved", reason="整改到位")
    assert approved.status_code == 303
    assert "已批准" in (await client.get(f"/console/repairs/{filed.id}")).text


async def test_list_proposals_move_by_the_steps_their_procedure_allows(
    client: Client, db: Database
) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.BLACK, EntryStatus.PROPOSED, 7)
    steps = f"/console/lists/black/{entry_id}/steps"
    await sign_in(client, db, "officer.zhou", Role.OFFICER)
    queue = (await client.get("/console/lists")).text
    assert "测试医院7" in queue
    assert "送达告知书" in queue
    assert "撤回" in queue
    served = await _step(client, steps, "notified")
    assert served.status_code == 303
    queue = (await client.get(served.headers["location"])).text
    assert "陈述申辩期至" in queue
    assert "作出列入决定" in queue
    by_officer = await _step(client, steps, "decided", reason="事实清楚")
    assert by_officer.status_code == 403
    await sign_in(client, db, "reviewer.wang", Role.REVIEWER)
    too_early = await _step(client, steps, "decided", reason="事实清楚")
    assert too_early.status_code == 409
    assert re.search(r"陈述申辩期至 \d{4}-\d{2}-\d{2}，期满或收到申辩后再作决定", too_early.text)
    skipped = await _step(client, steps, "published")
    assert skipped.status_code == 409
    assert "已告知" in skipped.text


async def test_runs_are_reviewed_and_opened_to_publicity_by_the_right_roles(
    client: Client, db: Database
) -> None:
    await seed_with_sets(db)
    await add_record(db, await hospital(db, 1), "POS-COMMENDATION", "2025-02-01", "a")
    run_id = await _run(db)
    steps = f"/console/runs/{run_id}/steps"
    await sign_in(client, db, "officer.zhou", Role.OFFICER)
    queue = (await client.get("/console/runs")).text
    assert f"2025 (#{run_id})" in queue
    assert "提交审核" in queue
    assert (await _step(client, steps, "in_review")).status_code == 303
    by_officer = await _step(client, steps, "publicity")
    assert by_officer.status_code == 403
    await sign_in(client, db, "reviewer.wang", Role.REVIEWER)
    assert (await _step(client, steps, "publicity")).status_code == 303
    early = await _step(client, steps, "published")
    assert early.status_code == 409
    assert "期满后方可发布" in early.text
    assert "公示中" in early.text


async def test_only_regulators_open_the_queues(client: Client, db: Database) -> None:
    await seed(db)
    objection_id = await _objection(db)
    queues = ("/console/objections", "/console/repairs", "/console/lists", "/console/runs")
    for path in (*queues, f"/console/objections/{objection_id}"):
        anonymous = await client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303, path
        assert anonymous.headers["location"].startswith("/login")
    subject = await hospital(db, 5)
    await sign_in(client, db, "hospital.office", Role.SUBJECT, subject)
    for path in (*queues, f"/console/objections/{objection_id}"):
        refused = await client.get(path)
        assert refused.status_code == 403, path
        assert "无权访问" in refused.text
    moved = await _step(client, f"/console/objections/{objection_id}/steps", "accepted")
    assert moved.status_code == 403
    assert await _status(db, objection_id) == ObjectionStatus.SUBMITTED


async def test_every_queue_form_needs_its_csrf_token(client: Client, db: Database) -> None:
    await seed(db)
    objection_id = await _objection(db)
    await sign_in(client, db, "officer.li", Role.OFFICER)
    for path in (
        f"/console/objections/{objection_id}/steps",
        "/console/repairs/1/steps",
        "/console/lists/black/1/steps",
        "/console/runs/1/steps",
    ):
        answer = await client.post(path, data={"to": "accepted"})
        assert answer.status_code == 403, path
    assert await _status(db, objection_id) == ObjectionStatus.SUBMITTED


async def test_the_dashboard_and_the_menu_lead_to_the_queues(client: Client, db: Database) -> None:
    await seed(db)
    await sign_in(client, db, "officer.li", Role.OFFICER)
    dashboard = (await client.get("/console")).text
    for path in ("/console/objections", "/console/repairs", "/console/lists", "/console/runs"):
        assert f'href="{path}"' in dashboard
    assert 'href="/portal/inbox"' in dashboard  # the menu of a signed-in regulator
