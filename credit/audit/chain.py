"""How an audit event's hash is computed, so writing and verifying agree by construction."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no whitespace, non-ASCII kept, other types as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def event_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    actor_role: str,
    account_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    change_digest: str,
    prev_hash: str,
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "occurred_at": occurred_at.isoformat(),
            "actor": actor,
            "actor_role": actor_role,
            "account_id": account_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "change_digest": change_digest,
            "prev_hash": prev_hash,
        }
    )
    return digest(body)
