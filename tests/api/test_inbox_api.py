"""The inbox over HTTP: each account its own; the outbox for an admin or the gateway's key."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.notifications import service as notifications
from tests.conftest import AuthHeaders
from tests.indicators.support import hospital

Client = AsyncTestClient[Litestar]


async def _notify_subject(db: Database, subject_id: int, title: str) -> None:
    async with db.transaction() as session:
        await notifications.notify(
            session, kind="objection.decided", title=title, body="详见决定书", subject_id=subject_id
        )


async def test_a_subject_never_sees_another_subjects_inbox(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    first, second = await hospital(db, 1), await hospital(db, 2)
    mine = await auth_headers("subject", subject_id=first)
    theirs = await auth_headers("subject", subject_id=second)
    await _notify_subject(db, first, "第一家的决定")
    await _notify_subject(db, second, "第二家的决定")

    my_inbox = (await client.get("/api/v1/inbox", headers=mine)).json()
    their_inbox = (await client.get("/api/v1/inbox", headers=theirs)).json()
    assert [item["title"] for item in my_inbox["items"]] == ["第一家的决定"]
    assert [item["title"] for item in their_inbox["items"]] == ["第二家的决定"]

    their_item = their_inbox["items"][0]["id"]
    answer = await client.post(f"/api/v1/inbox/{their_item}/read", headers=mine)
    assert answer.status_code == 404
    still = (await client.get("/api/v1/inbox", headers=theirs)).json()
    assert still["items"][0]["read_at"] is None
    assert still["unread"] == 1


async def test_reading_moves_an_item_behind_the_unread(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    subject = await hospital(db, 1)
    headers = await auth_headers("subject", subject_id=subject)
    for title in ("旧", "新"):
        await _notify_subject(db, subject, title)
    inbox = (await client.get("/api/v1/inbox", headers=headers)).json()
    assert [item["title"] for item in inbox["items"]] == ["新", "旧"]
    newest = inbox["items"][0]["id"]

    read = await client.post(f"/api/v1/inbox/{newest}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    after = (await client.get("/api/v1/inbox", headers=headers)).json()
    assert [item["title"] for item in after["items"]] == ["旧", "新"]
    assert after["unread"] == 1

    first_page = (await client.get("/api/v1/inbox?limit=1", headers=headers)).json()
    assert [item["title"] for item in first_page["items"]] == ["旧"]
    second_page = (
        await client.get(
            f"/api/v1/inbox?limit=1&cursor={first_page['next_cursor']}", headers=headers
        )
    ).json()
    assert [item["title"] for item in second_page["items"]] == ["新"]


async def test_bad_paging_is_refused(client: Client, auth_headers: AuthHeaders) -> None:
    headers = await auth_headers("officer")
    bad_cursor = await client.get("/api/v1/inbox?cursor=nonsense", headers=headers)
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["field"] == "cursor"
    bad_limit = await client.get("/api/v1/inbox?limit=0", headers=headers)
    assert bad_limit.status_code == 422
    assert bad_limit.json()["field"] == "limit"


async def test_gateway_key_drains_the_outbox(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    subject = await hospital(db, 1)
    await auth_headers("subject", subject_id=subject)
    admin = await auth_headers("admin")
    await _notify_subject(db, subject, "决定")
    issued = await client.post(
        "/api/v1/api-keys", json={"agency": "短信网关", "scopes": ["outbox"]}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    gateway = {"Authorization": f"Bearer {issued.json()['key']}"}
    feed_key = await client.post(
        "/api/v1/api-keys", json={"agency": "某银行", "scopes": ["verify"]}, headers=admin
    )
    partner = {"Authorization": f"Bearer {feed_key.json()['key']}"}
    assert (await client.get("/api/v1/outbox", headers=partner)).status_code == 403

    pending = (await client.get("/api/v1/outbox?status=pending", headers=gateway)).json()
    assert [(item["title"], item["status"]) for item in pending["items"]] == [("决定", "pending")]
    message_id = pending["items"][0]["id"]

    failed = await client.post(
        f"/api/v1/outbox/{message_id}/failed",
        json={"error": "运营商超时", "retry": True},
        headers=gateway,
    )
    assert failed.status_code == 200
    assert failed.json()["attempts"] == 1
    sent = await client.post(f"/api/v1/outbox/{message_id}/sent", headers=gateway)
    assert sent.status_code == 200
    assert (sent.json()["status"], sent.json()["attempts"]) == ("sent", 2)
    again = await client.post(f"/api/v1/outbox/{message_id}/sent", headers=gateway)
    assert again.status_code == 409
    left = (await client.get("/api/v1/outbox?status=pending", headers=gateway)).json()
    assert left["items"] == []
    everything = (await client.get("/api/v1/outbox", headers=admin)).json()
    assert [item["status"] for item in everything["items"]] == ["sent"]


async def test_outbox_bad_input(client: Client, auth_headers: AuthHeaders) -> None:
    admin = await auth_headers("admin")
    unknown_status = await client.get("/api/v1/outbox?status=lost", headers=admin)
    assert unknown_status.status_code == 400
    no_error = await client.post("/api/v1/outbox/1/failed", json={}, headers=admin)
    assert no_error.status_code == 400
    missing = await client.post("/api/v1/outbox/999/sent", headers=admin)
    assert missing.status_code == 404
