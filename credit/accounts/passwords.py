"""Argon2 password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verifying against this keeps a login for an unknown user as slow as one for a known user.
_dummy_hash = _hasher.hash("medcredit-timing-equaliser")


def use_cost(*, time_cost: int, memory_cost_kib: int) -> None:
    """Change the hashing cost for new hashes (tests lower it; existing hashes still verify)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)
    _dummy_hash = _hasher.hash("medcredit-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
