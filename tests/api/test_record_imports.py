"""Importing records from files through the API, as an office would send them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from litestar import Litestar, Request
from litestar.testing import AsyncTestClient

from api import uploads
from api.app import create_app
from api.db import Database
from api.settings import Settings
from tests.api.imports_support import (
    CSV,
    NDJSON,
    RECORD_COLUMNS,
    XLSX,
    csv_text,
    ndjson,
    read_csv,
    record,
    seed,
    xlsx,
)
from tests.conftest import AuthHeaders

Client = AsyncTestClient[Litestar]
IMPORT = "/api/v1/records/import"


async def _file_of(client: Client, headers: dict[str, str], subject_id: int) -> list[str]:
    answer = await client.get(f"/api/v1/subjects/{subject_id}/records", headers=headers)
    assert answer.status_code == 200, answer.text
    return sorted(item["source_ref"] for item in answer.json()["items"])


async def test_ndjson_import_stores_rows_and_a_resend_changes_nothing(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    body = ndjson([record(hospital, "r1"), record(hospital, "r2", amount_involved=0.1)])

    first = await client.post(IMPORT, content=body, headers={**officer, **NDJSON})
    assert first.status_code == 200, first.text
    assert first.json() | {"import_id": 0} == {
        "import_id": 0, "mode": "partial", "created": 2, "unchanged": 0, "rejected": 0,
        "stored": True, "errors": [], "errors_total": 0, "errors_truncated": False,
        "rejected_csv": None,
    }  # fmt: skip
    again = await client.post(IMPORT, content=body, headers={**officer, **NDJSON})
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    assert await _file_of(client, officer, hospital) == ["r1", "r2"]

    batch = await client.get(
        f"/api/v1/records/imports/{again.json()['import_id']}", headers=officer
    )
    assert batch.status_code == 200
    assert batch.json()["unchanged"] == 2
    assert batch.json()["file_format"] == "ndjson"
    assert batch.json()["actor"].startswith("officer")


@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["without-bom", "with-bom"])
async def test_csv_partial_import_reports_each_bad_line_and_keeps_the_good(
    client: Client, db: Database, auth_headers: AuthHeaders, bom: str
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    rows = [
        record(hospital, "r1", responsible=None),
        record(hospital, "r2", decided_on="2025-02-30"),
        record(999_999, "r3"),
        record(hospital, "r4"),
    ]
    body = (bom + csv_text(rows, RECORD_COLUMNS)).encode()

    answer = await client.post(IMPORT, content=body, headers={**officer, **CSV})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["created"], report["unchanged"], report["rejected"]) == (2, 0, 2)
    assert [(e["line"], e["field"], e["rule"]) for e in report["errors"]] == [
        (3, "decided_on", "date"),
        (4, "subject_id", "exists"),
    ]
    assert "999999" in report["errors"][1]["message"]
    assert await _file_of(client, officer, hospital) == ["r1", "r4"]

    download = await client.get(report["rejected_csv"], headers=officer)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    columns, rejected = read_csv(download.content)
    assert columns == [*RECORD_COLUMNS, "error"]
    assert [(row["source_ref"], row["decided_on"]) for row in rejected] == [
        ("r2", "2025-02-30"),
        ("r3", "2025-03-01"),
    ]
    assert rejected[0]["document_no"] == "长医保罚〔2025〕3号"
    assert rejected[1]["error"].startswith("line 4: subject 999999 does not exist")


async def test_the_fixed_rejected_file_can_be_sent_back_as_it_is(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    body = csv_text([record(hospital, "r1", amount_involved="-5")], RECORD_COLUMNS).encode()
    report = (await client.post(IMPORT, content=body, headers={**officer, **CSV})).json()
    assert report["errors"][0]["field"] == "amount_involved"

    download = (await client.get(report["rejected_csv"], headers=officer)).content
    fixed = download.replace(b",-5,", b",5,")
    resent = await client.post(IMPORT, content=fixed, headers={**officer, **CSV})
    assert resent.json()["created"] == 1, resent.text


async def test_a_reference_sent_again_with_another_payload_is_a_conflict(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    await client.post(
        IMPORT, content=ndjson([record(hospital, "r1")]), headers={**officer, **NDJSON}
    )

    changed = ndjson([record(hospital, "r1", fine_amount="1.00")])
    answer = await client.post(IMPORT, content=changed, headers={**officer, **NDJSON})
    assert answer.status_code == 200
    ((error,),) = [answer.json()["errors"]]
    assert (error["line"], error["field"], error["rule"]) == (1, "source_ref", "same_payload")
    assert "another payload" in error["message"]


async def test_all_or_nothing_stores_nothing_when_one_row_is_bad(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    rows = [record(hospital, f"r{n}") for n in range(1, 6)]
    rows.append({**record(hospital, "r6"), "decided_on": "not a date"})
    rows.append("not an object")  # type: ignore[arg-type]

    answer = await client.post(
        IMPORT,
        params={"mode": "all_or_nothing"},
        content=ndjson(rows),
        headers={**officer, **NDJSON},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    report = answer.json()
    assert (report["created"], report["rejected"], report["stored"]) == (0, 2, False)
    assert [(e["line"], e["rule"]) for e in report["errors"]] == [(6, "date"), (7, "json_object")]
    assert "nothing" in report["detail"] or "none" in report["detail"]
    assert await _file_of(client, officer, hospital) == []

    batch = await client.get(f"/api/v1/records/imports/{report['import_id']}", headers=officer)
    assert batch.json()["stored"] is False
    assert batch.json()["errors_total"] == 2
    _, rejected = read_csv((await client.get(report["rejected_csv"], headers=officer)).content)
    assert [row["source_ref"] for row in rejected] == ["r6", ""]
    assert "not an object" in rejected[1]["error"]

    good = ndjson(rows[:5])
    stored = await client.post(
        IMPORT, params={"mode": "all_or_nothing"}, content=good, headers={**officer, **NDJSON}
    )
    assert stored.status_code == 200
    assert stored.json()["created"] == 5


async def test_xlsx_as_multipart_field_file(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("admin")
    content = xlsx(
        [record(hospital, "x1"), record(hospital, "x2", amount_involved=99.9)], RECORD_COLUMNS
    )
    answer = await client.post(
        IMPORT,
        files={"file": ("2025年3月处罚.xlsx", content, XLSX["Content-Type"])},
        headers=officer,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 2
    batch = await client.get(
        f"/api/v1/records/imports/{answer.json()['import_id']}", headers=officer
    )
    assert (batch.json()["file_name"], batch.json()["file_format"]) == (
        "2025年3月处罚.xlsx",
        "xlsx",
    )
    assert await _file_of(client, officer, hospital) == ["x1", "x2"]


async def test_a_multipart_body_without_the_file_field_names_it(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    answer = await client.post(
        IMPORT, files={"upload": ("r.csv", b"a,b\n", "text/csv")}, headers=officer
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "file"


async def test_gbk_csv_is_refused_with_the_line_then_read_as_gb18030(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    body = csv_text([record(hospital, "g1")], RECORD_COLUMNS).encode("gbk")

    refused = await client.post(IMPORT, content=body, headers={**officer, **CSV})
    assert refused.status_code == 422
    assert refused.json()["rule"] == "encoding"
    assert refused.json()["line"] == 2
    assert "line 2 is not valid UTF-8" in refused.json()["detail"]
    assert "encoding=gb18030" in refused.json()["detail"]

    read = await client.post(
        IMPORT, params={"encoding": "gb18030"}, content=body, headers={**officer, **CSV}
    )
    assert read.status_code == 200
    assert read.json()["created"] == 1
    assert await _file_of(client, officer, hospital) == ["g1"]

    by_charset = {**officer, "Content-Type": "text/csv; charset=GBK"}
    named = await client.post(IMPORT, content=body, headers=by_charset)
    assert named.status_code == 200, named.text
    assert named.json()["unchanged"] == 1


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b"", "file", "the file is empty"),
        (b"subject_id,item_code,source_system,source_ref\n1,A,s,r\n", "decided_on", "decided_on"),
        (b"subject_id,item_code,decided_on,source_system,source_ref\n", "file", "no rows"),
    ],
    ids=["empty", "missing-column", "header-only"],
)
async def test_an_unusable_file_is_one_precise_error(
    client: Client, db: Database, auth_headers: AuthHeaders, body: bytes, field: str, words: str
) -> None:
    officer = await auth_headers("officer")
    answer = await client.post(IMPORT, content=body, headers={**officer, **CSV})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert words in answer.json()["detail"]


async def test_wrong_media_type_and_unknown_mode_are_named(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    wrong = await client.post(IMPORT, json=[{"subject_id": 1}], headers=officer)
    assert wrong.status_code == 415
    assert "application/json" in wrong.json()["detail"]
    assert "text/csv" in wrong.json()["detail"]

    mode = await client.post(
        IMPORT, params={"mode": "some"}, content=b"x", headers={**officer, **CSV}
    )
    assert mode.status_code == 400
    assert mode.json()["errors"][0]["field"] == "mode"


@pytest.fixture
async def small_limit_client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(dataclasses.replace(settings, import_max_bytes=2048))
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def test_an_oversize_body_is_refused_naming_the_limit(
    small_limit_client: Client, db: Database, auth_headers: AuthHeaders, client: Client
) -> None:
    officer = await auth_headers("officer")  # made through `client`; tokens work on both apps
    body = csv_text([record(1, f"r{n}") for n in range(100)], RECORD_COLUMNS).encode()
    assert len(body) > 2048

    answer = await small_limit_client.post(IMPORT, content=body, headers={**officer, **CSV})
    assert answer.status_code == 413
    assert answer.json()["limit_bytes"] == 2048
    assert "2048 bytes" in answer.json()["detail"]

    multipart = await small_limit_client.post(
        IMPORT, files={"file": ("r.csv", body, "text/csv")}, headers=officer
    )
    assert multipart.status_code == 413


class _ChunkedRequest:
    """A body sent without Content-Length, as a chunked upload arrives."""

    content_type = ("text/csv", {})
    content_length = None
    headers: dict[str, str] = {}

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def stream(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 500):
            yield self.body[start : start + 500]


def _files_in(folder: Path) -> list[Path]:
    return list(folder.iterdir())


async def test_a_chunked_body_is_cut_off_at_the_limit_and_leaves_no_file(tmp_path: Path) -> None:
    request = cast(Request[Any, Any, Any], _ChunkedRequest(b"x" * 5000))
    with pytest.raises(uploads.BodyTooLargeError) as refused:
        await uploads.receive(request, directory=tmp_path, limit=2048)
    assert refused.value.extra == {"limit_bytes": 2048}
    assert _files_in(tmp_path) == []

    kept = await uploads.receive(request, directory=tmp_path, limit=5000)
    assert kept.size == 5000
    assert kept.path.read_bytes() == b"x" * 5000
