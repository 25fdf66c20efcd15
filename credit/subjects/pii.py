"""Personal identifiers at rest: a keyed hash for exact lookup, a sealed copy, a masked form.

Both keys derive from the app secret, so rotating the secret makes stored hashes unfindable and
sealed copies unreadable: a secret rotation must re-key these columns.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

MIN_SECRET_LENGTH = 16


def _derive(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose; separate keys keep the hash and the seal independent."""
    return hmac.new(
        secret.encode(), f"medcredit/pii/v1/{purpose}".encode(), hashlib.sha256
    ).digest()


def mask(value: str) -> str:
    """`110105********002X`: the first 6 and last 4 characters stay, shorter values show less."""
    if len(value) > 10:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if len(value) > 4:
        return "*" * (len(value) - 4) + value[-4:]
    return "*" * len(value)


@dataclass(frozen=True, slots=True)
class ProtectedIdentifier:
    """What is stored for one personal identifier; the plain value is never stored."""

    lookup_hash: str
    sealed: bytes
    masked: str


class PersonalIdentifiers:
    """Hashes, seals and unseals personal identifiers with keys derived from the app secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the app secret must be at least {MIN_SECRET_LENGTH} characters")
        self._lookup_key = _derive(secret, "lookup")
        self._box = SecretBox(_derive(secret, "seal"))

    def lookup_hash(self, field: str, value: str) -> str:
        """HMAC-SHA256 of a normalised value; the field name keeps equal values apart by type."""
        message = f"{field}:{value}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def seal(self, value: str) -> bytes:
        return bytes(self._box.encrypt(value.encode()))

    def unseal(self, sealed: bytes) -> str | None:
        """The plain value, or None when it was sealed under another secret."""
        try:
            return self._box.decrypt(bytes(sealed)).decode()
        except CryptoError:
            return None

    def protect(self, field: str, value: str) -> ProtectedIdentifier:
        return ProtectedIdentifier(
            lookup_hash=self.lookup_hash(field, value),
            sealed=self.seal(value),
            masked=mask(value),
        )


def required(pii: PersonalIdentifiers | None) -> PersonalIdentifiers:
    """The keys, where a personal identifier is involved and the caller had to pass them."""
    if pii is None:
        raise TypeError("personal identifiers are involved: pass pii=PersonalIdentifiers(secret)")
    return pii
