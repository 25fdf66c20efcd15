"""The log of partner calls (DESIGN 9: every call is logged)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.accounts.models import PartnerCall
from credit.kernel.actor import Actor
from credit.kernel.statements import Statements


def key_prefix(actor: Actor) -> str:
    """The visible prefix of the key a partner actor authenticated with (`api-key:<prefix>:…`)."""
    parts = actor.name.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "api-key" else ""


_INSERT = insert(PartnerCall.__table__)  # type: ignore[attr-defined]


async def record_many(statements: Statements, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store logged calls (api_key_id, key_prefix, method, endpoint, status, returned,
    called_at each): a plain INSERT (no RETURNING), all rows in one batch."""
    await statements.insert_many(_INSERT, rows)


async def calls_of(session: AsyncSession, api_key_id: int) -> Sequence[PartnerCall]:
    query = (
        select(PartnerCall)
        .where(col(PartnerCall.api_key_id) == api_key_id)
        .order_by(col(PartnerCall.id))
    )
    return (await session.execute(query)).scalars().all()
