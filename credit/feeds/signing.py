"""RFC 9530 Content-Digest and RFC 9421 HTTP Message Signatures (Ed25519) for partner answers.

The signature covers the answer's `content-type` and `content-digest`, so a partner verifying
with any RFC 9421 library knows the body it holds is the one this server produced.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from nacl.signing import SigningKey as Ed25519SigningKey

SIGNATURE_LABEL = "medcredit"
COVERED = ("content-type", "content-digest")


@dataclass(frozen=True, slots=True)
class ActiveKey:
    key_id: str
    private: Ed25519SigningKey


def content_digest(body: bytes) -> str:
    """`sha-256=:<base64>:` as a Structured Field dictionary (RFC 9530)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def _signature_params(key_id: str, created: int) -> str:
    components = " ".join(f'"{name}"' for name in COVERED)
    return f'({components});created={created};keyid="{key_id}";alg="ed25519"'


def signature_base(headers: Mapping[str, str], params: str) -> bytes:
    """The RFC 9421 section 2.5 base: one line per covered field, then the parameters."""
    lines = [f'"{name}": {headers[name].strip()}' for name in COVERED]
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode()


def signed_headers(key: ActiveKey, content_type: str, body: bytes, created: int) -> dict[str, str]:
    """Content-Digest, Signature-Input and Signature for one answer (`created`: Unix seconds)."""
    return signed_digest_headers(key, content_type, content_digest(body), created)


def signed_digest_headers(
    key: ActiveKey, content_type: str, digest: str, created: int
) -> dict[str, str]:
    """The same headers for a body known by its Content-Digest (a body streamed after them)."""
    headers = {"content-type": content_type, "content-digest": digest}
    params = _signature_params(key.key_id, created)
    signature = key.private.sign(signature_base(headers, params)).signature
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{SIGNATURE_LABEL}={params}",
        "Signature": f"{SIGNATURE_LABEL}=:{base64.b64encode(signature).decode()}:",
    }
