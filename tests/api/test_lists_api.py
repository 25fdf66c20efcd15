"""The list API: the blacklist procedure end to end as officers, reviewers and subjects use it."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlmodel import col

from api.cli.main import cli
from api.db import Database
from api.settings import get_settings
from credit.kernel.clock import business_today
from credit.lists.models import EntryStatus, ListEntry
from credit.policy.vocabulary import ListName
from tests.conftest import AuthHeaders
from tests.credit.lists.support import entry_in, seed
from tests.indicators.support import hospital

BLACK = "/api/v1/lists/black/entries"
PDF = base64.b64encode(b"%PDF-1.4 refund receipt").decode()


async def _set_deadline(db: Database, entry_id: int, days_from_today: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(ListEntry)
            .where(col(ListEntry.id) == entry_id)
            .values(notice_deadline=business_today() + timedelta(days=days_from_today))
        )


async def test_the_blacklist_procedure_through_the_api(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    own, other = await hospital(db, 1), await hospital(db, 2)
    officer, reviewer = await auth_headers("officer"), await auth_headers("reviewer")
    subject = await auth_headers("subject", subject_id=own)
    stranger = await auth_headers("subject", subject_id=other)

    proposed = await client.post(
        BLACK,
        json={
            "subject_id": own,
            "criterion_code": "BLK-FRAUD-ART40",
            "reasons": ["伪造医疗文书骗取医保基金12.6万元"],
            "documents": ["湘医保罚〔2026〕12号"],
        },
        headers=officer,
    )
    assert proposed.status_code == 201, proposed.text
    entry = proposed.json()
    entry_id, url = entry["id"], f"{BLACK}/{entry['id']}"
    assert entry["status"] == "proposed"
    assert entry["list"] == "black"
    assert entry["events"][0]["documents"] == ["湘医保罚〔2026〕12号"]

    # Before the notice, the proposal is internal: its subject does not see it.
    assert (await client.get(url, headers=subject)).status_code == 404
    assert (await client.get(BLACK, headers=subject)).json()["items"] == []

    # A decision before the notice is a state conflict; after it, an officer may not decide.
    decide = {"to": "decided", "reason": "决定列入", "defence_considered": "已审查"}
    early = await client.post(f"{url}/transitions", json=decide, headers=reviewer)
    assert early.status_code == 409
    assert early.json()["rule"] == "transition"

    notified = await client.post(
        f"{url}/transitions", json={"to": "notified", "reason": "送达告知书"}, headers=officer
    )
    assert notified.status_code == 200, notified.text
    deadline = notified.json()["notice_deadline"]
    by_officer = await client.post(f"{url}/transitions", json=decide, headers=officer)
    assert by_officer.status_code == 403

    notice = await client.get(f"{url}/notice", headers=subject)
    assert notice.status_code == 200
    assert notice.headers["content-type"].startswith("text/html")
    assert deadline in notice.text
    assert "伪造医疗文书骗取医保基金12.6万元" in notice.text
    assert (await client.get(f"{url}/notice", headers=stranger)).status_code == 404

    listed = (await client.get(BLACK, headers=subject)).json()["items"]
    assert [item["id"] for item in listed] == [entry_id]
    assert (await client.get(BLACK, params={"subject_id": own}, headers=stranger)).json()[
        "items"
    ] == []
    assert (await client.get(url, headers=stranger)).status_code == 404

    statement = {
        "statement": "已全额退回违规费用",
        "attachments": [
            {"file_name": "退款凭证.pdf", "media_type": "application/pdf", "content_base64": PDF}
        ],
    }
    assert (
        await client.post(f"{url}/defence", json=statement, headers=stranger)
    ).status_code == 404
    defended = await client.post(f"{url}/defence", json=statement, headers=subject)
    assert defended.status_code == 201, defended.text
    (kept,) = defended.json()["defences"]
    (attached,) = kept["attachments"]
    download = await client.get(f"{url}/attachments/{attached['id']}", headers=reviewer)
    assert download.content == b"%PDF-1.4 refund receipt"

    unweighed = await client.post(
        f"{url}/transitions", json={"to": "decided", "reason": "决定列入"}, headers=reviewer
    )
    assert unweighed.status_code == 422
    assert unweighed.json()["field"] == "defence_considered"
    decided = await client.post(f"{url}/transitions", json=decide, headers=reviewer)
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "decided"
    assert body["decision_note"] == "已审查"
    assert [event["to_status"] for event in body["events"]] == ["proposed", "notified", "decided"]

    publicity = await client.post(f"{url}/transitions", json={"to": "publicity"}, headers=officer)
    assert publicity.status_code == 200
    too_soon = await client.post(f"{url}/transitions", json={"to": "published"}, headers=reviewer)
    assert too_soon.status_code == 409
    assert too_soon.json()["rule"] == "publicity_running"


async def test_a_defence_after_the_deadline_is_refused(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    own = await hospital(db, 1)
    officer = await auth_headers("officer")
    subject = await auth_headers("subject", subject_id=own)
    proposed = await client.post(
        BLACK,
        json={"subject_id": own, "criterion_code": "BLK-FUND-LOSS", "reasons": ["损失60万元"]},
        headers=officer,
    )
    url = f"{BLACK}/{proposed.json()['id']}"
    await client.post(f"{url}/transitions", json={"to": "notified"}, headers=officer)
    await _set_deadline(db, proposed.json()["id"], -1)
    late = await client.post(f"{url}/defence", json={"statement": "迟到的申辩"}, headers=subject)
    assert late.status_code == 409
    problem = late.json()
    assert problem["rule"] == "defence_deadline"
    assert (business_today() - timedelta(days=1)).isoformat() in problem["detail"]


async def test_bad_proposals_are_refused_precisely(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    own = await hospital(db, 1)
    officer = await auth_headers("officer")
    unknown = await client.post(
        BLACK,
        json={"subject_id": own, "criterion_code": "RED-GRADE-A", "reasons": ["x"]},
        headers=officer,
    )
    assert unknown.status_code == 422
    assert unknown.json()["rule"] == "known_criterion"
    bad_list = await client.get("/api/v1/lists/grey/entries", headers=officer)
    assert bad_list.status_code == 400
    first = await client.post(
        "/api/v1/lists/focus/entries",
        json={"subject_id": own, "criterion_code": "FOC-GRADE", "reasons": ["D级"]},
        headers=officer,
    )
    assert first.status_code == 201
    again = await client.post(
        "/api/v1/lists/focus/entries",
        json={"subject_id": own, "criterion_code": "FOC-GRADE", "reasons": ["D级"]},
        headers=officer,
    )
    assert again.status_code == 409
    assert again.json()["rule"] == "one_open_entry"


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Iterator[CliRunner]:
    monkeypatch.setenv("MEDCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDCREDIT_SECRET_KEY", "test-secret-key-that-is-long-enough")
    monkeypatch.setenv("MEDCREDIT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def test_medcredit_sweep_lists_expires_what_is_due(db: Database, run_cli: CliRunner) -> None:
    await seed(db)
    entry_id = await entry_in(db, ListName.FOCUS, EntryStatus.LISTED, 1)
    async with db.transaction() as session:
        await session.execute(
            update(ListEntry)
            .where(col(ListEntry.id) == entry_id)
            .values(
                valid_from=business_today() - timedelta(days=400),
                valid_until=business_today() - timedelta(days=1),
            )
        )
    first = await asyncio.to_thread(run_cli.invoke, cli, ["sweep", "lists"])
    assert first.exit_code == 0, first.output
    assert "list entries expired: 1" in first.output
    again = await asyncio.to_thread(run_cli.invoke, cli, ["sweep", "lists"])
    assert "list entries expired: 0" in again.output
