"""Bodies no client should send: each gets a 4xx problem answer, never a 500 or a stack trace."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import AuthHeaders

Client = AsyncTestClient[Litestar]
JSON = {"Content-Type": "application/json"}


def _no_trace(text: str) -> None:
    assert "Traceback" not in text
    assert 'File "' not in text


async def test_malformed_json_deep_nesting_bad_utf8_and_huge_bodies_are_4xx(
    client: Client, auth_headers: AuthHeaders
) -> None:
    headers = {**await auth_headers("officer"), **JSON}
    bodies = {
        "malformed": b'{"kind": "medical_institution", "name": ',
        "not an object": b"[1, 2, 3]",
        "deeply nested": b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "invalid utf-8": b'{"kind": "medical_institution", "name": "\xff\xfe\xc3\x28"}',
        "nul in text": b'{"kind": "medical_institution", "name": "a\\u0000b"}',
    }
    for what, body in bodies.items():
        answer = await client.post("/api/v1/subjects", content=body, headers=headers)
        assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text[:300])
        assert answer.headers["content-type"].startswith("application/problem+json"), what
        _no_trace(answer.text)

    huge = b'{"name": "' + b"x" * (12 * 1024 * 1024) + b'"}'
    answer = await client.post("/api/v1/records", content=huge, headers=headers)
    assert answer.status_code in (400, 413, 422), answer.status_code
    _no_trace(answer.text)


async def test_hostile_bodies_to_a_page_get_an_error_page(client: Client) -> None:
    await client.get("/login")
    token = client.cookies.get("medcredit_csrf")
    answer = await client.post(
        "/login",
        content=b"username=\xff\xfe&password=x&_csrf_token=" + str(token).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= answer.status_code < 500
    _no_trace(answer.text)
