"""The change feeds as a partner uses them: order, cursors, scopes, masking, signatures, the
agency's own measures, the call log, revocation and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.accounts import calls
from credit.lists import steps
from credit.lists.models import RemovalReason
from credit.lists.schemas import AmendInput
from credit.measures import service as measures
from credit.measures.standing import Standing
from credit.policy.vocabulary import ListName
from tests.api.test_feed_keys import _verify
from tests.conftest import AuthHeaders
from tests.credit.feeds.support import (
    institution,
    partner,
    physician,
    put_on,
    resident_id_for,
    seed,
    take_off,
)
from tests.credit.lists.support import REVIEWER

BLACK = "/api/v1/feeds/black/changes"
MEASURES = "/api/v1/feeds/measures/changes"


async def _listing(client: AsyncTestClient[Litestar]) -> dict[str, object]:
    listing: dict[str, object] = (await client.get("/api/v1/feeds/keys")).json()
    return listing


async def test_add_mod_del_in_seq_order_paged_by_cursor_and_signed(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    key = await partner(client, auth_headers, ["feed:black"])
    first = await put_on(db, ListName.BLACK, await institution(db, 1, "长沙仁和医院"))
    async with db.transaction() as session:
        await steps.amend(
            session,
            REVIEWER,
            ListName.BLACK,
            first,
            AmendInput(reason="复议变更依据", legal_basis="《条例》第四十条第一款"),
        )
    await take_off(db, ListName.BLACK, first, RemovalReason.OVERTURNED)

    answer = await client.get(BLACK, headers=key["headers"])
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert [(c["op"], c["entry"]["entry_id"]) for c in page["changes"]] == [
        ("ADD", first),
        ("MOD", first),
        ("DEL", first),
    ]
    seqs = [change["seq"] for change in page["changes"]]
    assert seqs == sorted(seqs)
    assert page["changes"][1]["entry"]["legal_basis"] == "《条例》第四十条第一款"
    # A removal arrives as DEL with its reason.
    assert page["changes"][2]["entry"]["removal_reason"] == "overturned"
    assert page["changes"][2]["entry"]["status"] == "removed"
    assert page["changes"][0]["at"].endswith("+00:00")
    assert page["next_cursor"] == str(seqs[-1])
    assert page["has_more"] is False
    (signature,) = _verify(answer, await _listing(client))
    assert signature.body == answer.content

    # One change at a time, following next_cursor.
    seen, cursor = [], "0"
    while True:
        step = (
            await client.get(BLACK, params={"since": cursor, "limit": 1}, headers=key["headers"])
        ).json()
        seen += [change["seq"] for change in step["changes"]]
        cursor = step["next_cursor"]
        if not step["has_more"]:
            break
    assert seen == seqs
    # Nothing new: an empty page, the same cursor, not an error.
    idle = await client.get(BLACK, params={"since": cursor}, headers=key["headers"])
    assert idle.status_code == 200
    assert idle.json() == {"changes": [], "next_cursor": cursor, "has_more": False}

    # Changes of other lists are not in this feed.
    await put_on(db, ListName.RED, await institution(db, 2, "长沙守信医院"))
    assert (await client.get(BLACK, params={"since": cursor}, headers=key["headers"])).json()[
        "changes"
    ] == []


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"since": "abc"}, "since", "cursor_format"),
        ({"since": "-1"}, "since", "cursor_format"),
        ({"since": "99999999"}, "since", "cursor_in_future"),
        ({"limit": "0"}, "limit", None),
        ({"limit": "1001"}, "limit", None),
    ],
)
async def test_a_bad_cursor_or_limit_is_a_400_naming_it(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    params: dict[str, str],
    field: str,
    rule: str | None,
) -> None:
    key = await partner(client, auth_headers, ["feed:black"])
    answer = await client.get(BLACK, params=params, headers=key["headers"])
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["detail"]
    if rule:
        assert answer.json()["rule"] == rule


async def test_unknown_list_and_scopes(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    key = await partner(client, auth_headers, ["feed:black"])
    unknown = await client.get("/api/v1/feeds/grey/changes", headers=key["headers"])
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "list"
    assert "black, red, focus" in unknown.json()["detail"]
    red = await client.get("/api/v1/feeds/red/changes", headers=key["headers"])
    assert red.status_code == 403
    assert "feed:red" in red.json()["detail"]
    assert (await client.get(BLACK)).status_code == 401
    measures = await client.get(MEASURES, headers=key["headers"])
    assert measures.status_code == 403


async def test_a_revoked_key_stops_at_once(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    key = await partner(client, auth_headers, ["feed:black", "verify"])
    assert (await client.get(BLACK, headers=key["headers"])).status_code == 200
    revoked = await client.post(
        f"/api/v1/api-keys/{key['id']}/revoke", headers=await auth_headers("admin")
    )
    assert revoked.status_code in (200, 201)
    after = await client.get(BLACK, headers=key["headers"])
    assert after.status_code == 401
    verify = await client.get(
        "/api/v1/verify", params={"id": "91110000600037341L"}, headers=key["headers"]
    )
    assert verify.status_code == 401


async def test_the_rate_limit_answers_429_with_retry_after(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = await partner(client, auth_headers, ["feed:black"], rate_limit_per_minute=2)
    # One fixed instant: the three calls fall in one minute whatever the clock does.
    monkeypatch.setattr(
        "credit.accounts.api_keys.utcnow", lambda: datetime(2026, 3, 2, 9, 30, 20, tzinfo=UTC)
    )
    assert (await client.get(BLACK, headers=key["headers"])).status_code == 200
    assert (await client.get(BLACK, headers=key["headers"])).status_code == 200
    refused = await client.get(BLACK, headers=key["headers"])
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "40"
    assert refused.json()["rule"] == "rate_limit"


async def test_personal_identifiers_masked_without_pii(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    doctor = await physician(db, 7, "陈伟")
    await put_on(db, ListName.BLACK, doctor)
    full = resident_id_for(7)
    masked_key = await partner(client, auth_headers, ["feed:black"])
    pii_key = await partner(client, auth_headers, ["feed:black", "pii"])

    masked = await client.get(BLACK, headers=masked_key["headers"])
    subject = masked.json()["changes"][0]["entry"]["subject"]
    assert subject["resident_id_masked"] == full[:6] + "********" + full[-4:]
    assert "resident_id" not in subject
    assert full not in masked.text

    shown = await client.get(BLACK, headers=pii_key["headers"])
    assert shown.json()["changes"][0]["entry"]["subject"]["resident_id"] == full
    _verify(shown, await _listing(client))


async def test_each_agency_reads_only_its_own_assignments(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    hospital = await institution(db, 3, "长沙失信医院")
    async with db.transaction() as session:
        standing = Standing(hospital, "medical_institution", lists={ListName.BLACK: 1})
        await measures.reconcile(session, [standing])
    officer = await auth_headers("officer")
    every = (await client.get(MEASURES, params={"limit": 1000}, headers=officer)).json()
    agencies = {change["entry"]["agency"] for change in every["changes"]}
    assert {"medical_insurance_agency", "government_services"} <= agencies

    for agency in ("medical_insurance_agency", "government_services"):
        key = await partner(client, auth_headers, ["feed:measures"], agency_code=agency)
        answer = await client.get(MEASURES, headers=key["headers"])
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["changes"], agency
        assert {change["entry"]["agency"] for change in page["changes"]} == {agency}
        assert all(change["op"] == "ADD" for change in page["changes"])
        assert page["changes"][0]["entry"]["subject"]["name"] == "长沙失信医院"
        _verify(answer, await _listing(client))

    nameless = await partner(client, auth_headers, ["feed:measures"])
    refused = await client.get(MEASURES, headers=nameless["headers"])
    assert refused.status_code == 403
    assert refused.json()["field"] == "agency_code"


async def test_every_partner_call_is_logged_with_what_it_returned(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    await put_on(db, ListName.BLACK, await institution(db, 4, "长沙记录医院"))
    key = await partner(client, auth_headers, ["feed:black"])
    await client.get(BLACK, headers=key["headers"])
    await client.get("/api/v1/feeds/red/changes", headers=key["headers"])  # refused: 403
    await client.get(BLACK, params={"since": "x"}, headers=key["headers"])  # refused: 400
    async with db.transaction() as session:
        logged = await calls.calls_of(session, key["id"])
    assert [(row.key_prefix, row.endpoint, row.status, row.returned) for row in logged] == [
        (key["prefix"], "/api/v1/feeds/{list_name}/changes", 200, 1),
        (key["prefix"], "/api/v1/feeds/{list_name}/changes", 403, None),
        (key["prefix"], "/api/v1/feeds/{list_name}/changes", 400, None),
    ]


async def test_the_readme_client_verifies_an_httpx_answer_as_it_comes(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    """The README's few lines: an httpx response handed as it is to http-message-signatures."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms

    key = await partner(client, auth_headers, ["feed:black"])
    items = (await client.get("/api/v1/feeds/keys")).json()["items"]
    keys = {item["key_id"]: item["public_key"] for item in items}

    class PublishedKeys(HTTPSignatureKeyResolver):
        def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
            raw = base64.urlsafe_b64decode(keys[key_id] + "=" * (-len(keys[key_id]) % 4))
            return Ed25519PublicKey.from_public_bytes(raw)

    answer = await client.get(BLACK, params={"since": "0"}, headers=key["headers"])
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=PublishedKeys()
    )
    (result,) = verifier.verify(
        answer, body=answer.content, require_components=("content-type", "content-digest")
    )
    assert result.parameters["alg"] == "ed25519"
