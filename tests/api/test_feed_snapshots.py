"""List snapshots: the list in force with version, checksum, ETag / 304, CSV for Excel,
FollowTheMoney entities the followthemoney library accepts, and signatures."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.feeds import snapshots
from credit.lists.models import RemovalReason
from credit.policy.vocabulary import ListName
from tests.api.test_feed_keys import _verify
from tests.conftest import AuthHeaders, unavailable
from tests.credit.feeds.support import (
    institution,
    partner,
    physician,
    put_on,
    resident_id_for,
    seed,
    take_off,
    uscc_for,
)

SNAPSHOT = "/api/v1/feeds/black/snapshot"


async def _listed(db: Database) -> tuple[int, int, int]:
    """Two entries in force on the blacklist and one removed."""
    await seed(db)
    kept = await put_on(db, ListName.BLACK, await institution(db, 1, "长沙仁和医院"))
    doctor = await put_on(db, ListName.BLACK, await physician(db, 2, "陈伟"))
    gone = await put_on(db, ListName.BLACK, await institution(db, 3, "长沙撤销医院"))
    await take_off(db, ListName.BLACK, gone, RemovalReason.REVOKED)
    return kept, doctor, gone


async def test_json_snapshot_is_the_list_in_force_with_version_checksum_and_etag(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    kept, doctor, _ = await _listed(db)
    key = await partner(client, auth_headers, ["feed:black"])
    answer = await client.get(SNAPSHOT, headers=key["headers"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [entry["entry_id"] for entry in body["entries"]] == [kept, doctor]
    assert body["count"] == 2
    assert all(entry["status"] == "published" for entry in body["entries"])
    changes = (await client.get("/api/v1/feeds/black/changes", headers=key["headers"])).json()
    assert body["version"] == str(changes["changes"][-1]["seq"])
    assert answer.headers["x-snapshot-version"] == body["version"]
    assert answer.headers["x-snapshot-entries"] == "2"
    digest = hashlib.sha256(answer.content).hexdigest()
    assert answer.headers["x-snapshot-checksum"] == f"sha-256={digest}"
    (signature,) = _verify(answer, (await client.get("/api/v1/feeds/keys")).json())
    assert signature.body == answer.content
    # Personal identifiers stay masked without the pii scope.
    assert resident_id_for(2) not in answer.text

    etag = answer.headers["etag"]
    unchanged = await client.get(SNAPSHOT, headers={**key["headers"], "If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    await put_on(db, ListName.BLACK, await institution(db, 4, "长沙新增医院"))
    changed = await client.get(SNAPSHOT, headers={**key["headers"], "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["count"] == 3


async def test_ndjson_and_the_pii_scope(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await _listed(db)
    key = await partner(client, auth_headers, ["feed:black", "pii"])
    answer = await client.get(SNAPSHOT, params={"format": "ndjson"}, headers=key["headers"])
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [line["subject"]["name"] for line in lines] == ["长沙仁和医院", "陈伟"]
    assert lines[1]["subject"]["resident_id"] == resident_id_for(2)
    _verify(answer, (await client.get("/api/v1/feeds/keys")).json())
    again = await client.get(
        SNAPSHOT,
        params={"format": "ndjson"},
        headers={**key["headers"], "If-None-Match": answer.headers["etag"]},
    )
    assert again.status_code == 304


async def test_csv_opens_in_excel_utf8_with_bom(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    kept, _, _ = await _listed(db)
    key = await partner(client, auth_headers, ["feed:black"])
    answer = await client.get(SNAPSHOT, params={"format": "csv"}, headers=key["headers"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [row["subject_name"] for row in rows] == ["长沙仁和医院", "陈伟"]
    assert rows[0]["entry_id"] == str(kept)
    assert rows[0]["uscc"] == uscc_for(1)
    assert rows[1]["resident_id"].count("*") == 8
    _verify(answer, (await client.get("/api/v1/feeds/keys")).json())


async def test_ftm_entities_validate_with_followthemoney(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    try:
        from followthemoney import model
    except ImportError:
        unavailable("the followthemoney library (it needs PyICU)")
    await _listed(db)
    key = await partner(client, auth_headers, ["feed:black", "pii"])
    answer = await client.get(SNAPSHOT, params={"format": "ftm"}, headers=key["headers"])
    assert answer.status_code == 200
    entities = [json.loads(line) for line in answer.text.splitlines()]
    by_schema: dict[str, list[dict[str, object]]] = {}
    for data in entities:
        schema = model.get(data["schema"])
        assert schema is not None
        schema.validate(data)  # raises InvalidData on a bad value
        proxy = model.get_proxy(data, cleaned=False)  # raises on an unknown property
        assert proxy.id == data["id"]
        assert set(schema.required) <= set(data["properties"]), data
        by_schema.setdefault(data["schema"], []).append(data)
    assert len(by_schema["Organization"]) == 1
    assert len(by_schema["Person"]) == 1
    assert len(by_schema["Sanction"]) == 2
    organisation = by_schema["Organization"][0]["properties"]
    assert organisation["uscCode"] == [uscc_for(1)]
    person = by_schema["Person"][0]["properties"]
    assert person["idNumber"] == [resident_id_for(2)]
    ids = {data["id"] for data in entities}
    for sanction in by_schema["Sanction"]:
        assert sanction["properties"]["entity"][0] in ids
        assert sanction["properties"]["program"][0].startswith("严重失信主体名单")
    _verify(answer, (await client.get("/api/v1/feeds/keys")).json())


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        (SNAPSHOT, {"format": "xml"}, 400, "format"),
        ("/api/v1/feeds/measures/snapshot", {}, 404, "list"),
        ("/api/v1/feeds/grey/snapshot", {}, 404, "list"),
    ],
)
async def test_bad_snapshot_requests_are_named(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    path: str,
    params: dict[str, str],
    status: int,
    field: str,
) -> None:
    key = await partner(client, auth_headers, ["feed:black"])
    answer = await client.get(path, params=params, headers=key["headers"])
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field


async def test_refresh_precomputes_each_rendering_once_per_version(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await _listed(db)
    async with db.transaction() as session:
        assert await snapshots.refresh(session) == 12  # 3 lists x 4 formats
    async with db.transaction() as session:
        assert await snapshots.refresh(session) == 0
    await put_on(db, ListName.BLACK, await institution(db, 5, "长沙再增医院"))
    async with db.transaction() as session:
        assert await snapshots.refresh(session) == 4
    # The precomputed checksum is the one the download carries.
    key = await partner(client, auth_headers, ["feed:black"])
    answer = await client.get(SNAPSHOT, params={"format": "csv"}, headers=key["headers"])
    digest = hashlib.sha256(answer.content).hexdigest()
    assert answer.headers["x-snapshot-checksum"] == f"sha-256={digest}"
