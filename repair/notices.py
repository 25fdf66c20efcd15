"""What the subject and the regulators are told about a case, each message once (dedupe key)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from credit.notifications.service import notify
from repair.workflow import Case, kind_of

TITLES = {
    "objection": "异议",
    "repair": "信用修复申请",
}


def link_of(case: Case) -> str:
    plural = "objections" if kind_of(case) == "objection" else "repairs"
    return f"/api/v1/{plural}/{case.id}"


def key_of(case: Case, what: str) -> str:
    return f"{kind_of(case)}:{case.id}:{what}"


async def tell_subject(session: AsyncSession, case: Case, what: str, body: str) -> None:
    """Notify the subject's accounts of a decision or another step in its case."""
    kind = kind_of(case)
    await notify(
        session,
        kind=f"{kind}.{what}",
        title=f"{TITLES[kind]} {case.id}: {what}",
        body=body,
        subject_id=case.subject_id,
        link=link_of(case),
        dedupe_key=key_of(case, what),
    )


async def tell_regulators(
    session: AsyncSession,
    case: Case,
    what: str,
    body: str,
    *,
    roles: Iterable[str] = ("officer",),
    key: str | None = None,
) -> None:
    """Notify every active account of these regulator roles (one notification per role)."""
    kind = kind_of(case)
    for role in roles:
        await notify(
            session,
            kind=f"{kind}.{what}",
            title=f"{TITLES[kind]} {case.id}: {what}",
            body=body,
            role=role,
            link=link_of(case),
            dedupe_key=f"{key or key_of(case, what)}:{role}",
        )
