"""Signed answers: a partner verifies them with an off-the-shelf RFC 9421 library."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.exceptions import InvalidSignature
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import AuthHeaders


@dataclass
class _Request:
    method: str = "GET"
    url: str = "http://testserver.local/api/v1/feeds/keys"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Response:
    """What a partner's HTTP client holds: status, headers and the request it answers."""

    status_code: int
    headers: dict[str, str]
    request: _Request = field(default_factory=_Request)


class _PublishedKeys(HTTPSignatureKeyResolver):
    def __init__(self, listing: dict[str, Any]) -> None:
        self.keys = {item["key_id"]: item["public_key"] for item in listing["items"]}

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        raw = base64.urlsafe_b64decode(self.keys[key_id] + "=" * (-len(self.keys[key_id]) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)


def _verify(answer: Any, listing: dict[str, Any]) -> list[Any]:
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_PublishedKeys(listing)
    )
    message = _Response(answer.status_code, dict(answer.headers))
    return verifier.verify(
        message, body=answer.content, require_components=("content-type", "content-digest")
    )


async def test_keys_answer_verifies_with_the_key_it_lists(
    client: AsyncTestClient[Litestar],
) -> None:
    answer = await client.get("/api/v1/feeds/keys")
    assert answer.status_code == 200
    listing = answer.json()
    assert [item["status"] for item in listing["items"]] == ["active"]
    assert listing["items"][0]["algorithm"] == "ed25519"
    assert answer.headers["content-digest"].startswith("sha-256=:")
    (result,) = _verify(answer, listing)
    assert result.parameters["keyid"] == listing["items"][0]["key_id"]
    assert result.body == answer.content


async def test_a_changed_body_fails_verification(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.get("/api/v1/feeds/keys")
    listing = answer.json()
    tampered = type("Tampered", (), {})()
    tampered.status_code, tampered.headers = answer.status_code, answer.headers
    tampered.content = answer.content.replace(b"active", b"retird")
    with pytest.raises(InvalidSignature):
        _verify(tampered, listing)


async def test_the_same_key_signs_until_an_admin_rotates_it(
    client: AsyncTestClient[Litestar], auth_headers: AuthHeaders
) -> None:
    first = (await client.get("/api/v1/feeds/keys")).json()["items"][0]["key_id"]
    again = (await client.get("/api/v1/feeds/keys")).json()["items"][0]["key_id"]
    assert again == first
    refused = await client.post("/api/v1/feeds/keys/rotate", headers=await auth_headers("officer"))
    assert refused.status_code == 403
    rotated = await client.post("/api/v1/feeds/keys/rotate", headers=await auth_headers("admin"))
    assert rotated.status_code == 201
    listing = rotated.json()
    assert [(item["status"], item["key_id"] == first) for item in listing["items"]] == [
        ("active", False),
        ("retired", True),
    ]
    # Answers are now signed by the new key, and the old key is still published.
    answer = await client.get("/api/v1/feeds/keys")
    (result,) = _verify(answer, answer.json())
    assert result.parameters["keyid"] == listing["items"][0]["key_id"]
