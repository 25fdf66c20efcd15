"""Set-up shared by the partner feed tests: subjects, entries in force, partner keys."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from stdnum.cn import uscc

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR
from credit.lists import service as lists
from credit.lists import steps
from credit.lists.models import EntryStatus, RemovalReason
from credit.lists.schemas import TransitionInput
from credit.policy import service as policy
from credit.policy.vocabulary import ListName
from credit.subjects import service as subjects
from credit.subjects.models import QualificationStatus, SubjectCreate
from credit.subjects.pii import PersonalIdentifiers
from tests.conftest import AuthHeaders
from tests.credit.lists.support import PATHS, REVIEWER, advance, propose
from tests.credit.measures.support import resident_id

PII = PersonalIdentifiers("test-secret-key-that-is-long-enough")  # the test settings' secret
IN_FORCE = {ListName.BLACK: EntryStatus.PUBLISHED, ListName.RED: EntryStatus.PUBLISHED,
            ListName.FOCUS: EntryStatus.LISTED}  # fmt: skip


async def seed(db: Database) -> None:
    async with db.transaction() as session:
        await policy.ensure_defaults(session)


def uscc_for(number: int) -> str:
    body = f"9143010{number:010d}"
    return body + uscc.calc_check_digit(body)


async def institution(
    db: Database, number: int, name: str, kind: str = "medical_institution"
) -> int:
    prefix = "H" if kind == "medical_institution" else "P"
    async with db.transaction() as session:
        subject = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(
                kind=kind,
                name=name,
                uscc=uscc_for(number),
                nhsa_code=f"{prefix}{43010200000 + number:011d}",
                region_code="430102",
            ),
        )
    assert subject.id is not None
    return subject.id


def resident_id_for(number: int) -> str:
    return resident_id(f"11010519800101{number:03d}")


async def physician(db: Database, number: int, name: str) -> int:
    async with db.transaction() as session:
        subject = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(
                kind="physician",
                name=name,
                resident_id=resident_id_for(number),
                nhsa_code=f"D430102{number:06d}",
                qualification_status=QualificationStatus.NORMAL,
            ),
            pii=PII,
        )
    assert subject.id is not None
    return subject.id


async def put_on(db: Database, list_name: ListName, subject_id: int) -> int:
    """An entry for the subject walked through its procedure until it is in force."""
    entry_id = await propose(db, list_name, subject_id)
    for to in PATHS[list_name]:
        await advance(db, list_name, entry_id, to)
        if to is IN_FORCE[list_name]:
            break
    return entry_id


async def take_off(db: Database, list_name: ListName, entry_id: int, reason: RemovalReason) -> None:
    async with db.transaction() as session:
        await lists.get_entry(session, list_name, entry_id)
        await steps.move(
            session,
            REVIEWER,
            list_name,
            entry_id,
            TransitionInput(to=EntryStatus.REMOVED, reason="依程序移出", removal_reason=reason),
        )


async def partner(
    client: AsyncTestClient[Litestar],
    auth_headers: AuthHeaders,
    scopes: list[str],
    *,
    agency_code: str | None = None,
    rate_limit_per_minute: int | None = None,
) -> dict[str, Any]:
    """A new API key: `headers` to call with, and the key as the admin API answered it."""
    payload: dict[str, Any] = {"agency": "合作机构", "scopes": scopes}
    if agency_code:
        payload["agency_code"] = agency_code
    if rate_limit_per_minute:
        payload["rate_limit_per_minute"] = rate_limit_per_minute
    answer = await client.post(
        "/api/v1/api-keys", json=payload, headers=await auth_headers("admin")
    )
    assert answer.status_code == 201, answer.text
    issued: dict[str, Any] = answer.json()
    issued["headers"] = {"Authorization": f"Bearer {issued['key']}"}
    return issued
