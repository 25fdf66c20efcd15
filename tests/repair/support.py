"""Set-up shared by the objection and repair tests: packs, sets, subjects, records, actors."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from api.db import Database
from credit.changelog.models import ChangeLogEntry
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today
from credit.lists import repository as lists
from credit.lists.models import ListEntry
from credit.measures import repository as measures
from credit.records import repository as records
from credit.records.models import RecordRevision
from indicators import live
from indicators.live import LiveScore
from repair import objections, repairs
from repair.models import Objection, Repair
from repair.schemas import ObjectionCreate, ObjectionTransition, RepairCreate, RepairTransition
from tests.indicators.support import OFFICER, REVIEWER, add_record, hospital, seed

__all__ = ["OFFICER", "REVIEWER", "add_record", "hospital", "seed"]

OFFICER2 = Actor(role=Role.OFFICER, name="officer-zhou")
REVIEWER2 = Actor(role=Role.REVIEWER, name="reviewer-chen")
ADMIN = Actor(role=Role.ADMIN, name="admin-zhao")


def today() -> date:
    """The Shanghai business day now (asked each time: a run may cross midnight there)."""
    return business_today()


def ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def subject_actor(subject_id: int) -> Actor:
    return Actor(role=Role.SUBJECT, name=f"subject-{subject_id}", subject_id=subject_id)


async def file_objection(
    db: Database, actor: Actor, *, today: date | None = None, **fields: Any
) -> Objection:
    fields.setdefault("grounds", "处罚决定已被行政复议撤销，记录有误")
    async with db.transaction() as session:
        return await objections.file(
            session, actor, ObjectionCreate.model_validate(fields), today=today
        )


async def move_objection(
    db: Database,
    actor: Actor,
    objection_id: int,
    to: str,
    *,
    today: date | None = None,
    **fields: Any,
) -> Objection:
    step = ObjectionTransition.model_validate({"to": to, **fields})
    async with db.transaction() as session:
        return await objections.move(session, actor, objection_id, step, today=today)


async def under_review(db: Database, objection_id: int) -> None:
    await move_objection(db, OFFICER, objection_id, "accepted")
    await move_objection(db, OFFICER2, objection_id, "under_review")


async def file_repair(db: Database, actor: Actor, **fields: Any) -> Repair:
    fields.setdefault("statement", "已全额退回违规费用并缴纳罚款，完成整改")
    async with db.transaction() as session:
        return await repairs.file(session, actor, RepairCreate.model_validate(fields))


async def move_repair(db: Database, actor: Actor, repair_id: int, to: str, **fields: Any) -> Repair:
    step = RepairTransition.model_validate({"to": to, **fields})
    async with db.transaction() as session:
        return await repairs.move(session, actor, repair_id, step)


async def revision(db: Database, record_id: int) -> RecordRevision:
    async with db.transaction() as session:
        found = await records.current_revision(session, record_id)
    assert found is not None
    return found


async def live_score(db: Database, subject_id: int) -> LiveScore | None:
    async with db.transaction() as session:
        return await live.live_score(session, subject_id)


async def entry(db: Database, entry_id: int) -> ListEntry:
    async with db.transaction() as session:
        found = await lists.get(session, entry_id)
    assert found is not None
    return found


async def open_entries(db: Database, subject_id: int) -> list[ListEntry]:
    async with db.transaction() as session:
        found: list[ListEntry] = []
        for name in ("black", "focus", "red"):
            found += await lists.open_entries(session, name, [subject_id])  # type: ignore[arg-type]
    return found


async def active_measures(db: Database, subject_id: int) -> set[str]:
    async with db.transaction() as session:
        rows = await measures.active_for(session, [subject_id])
    return {row["measure_code"] for row in rows}


async def change_log(db: Database, subject_id: int) -> list[ChangeLogEntry]:
    async with db.transaction() as session:
        query = select(ChangeLogEntry).where(ChangeLogEntry.subject_id == subject_id)  # type: ignore[arg-type]
        return list((await session.execute(query.order_by(ChangeLogEntry.seq))).scalars())  # type: ignore[arg-type]


# Steps of a blacklist entry and how many days ago each was taken, so that it is in force today.
BLACK_WALK = (("notified", 90), ("decided", 75), ("publicity", 74), ("published", 50))


async def publish_black(
    db: Database, entry_id: int, walk: tuple[tuple[str, int], ...] = BLACK_WALK
) -> None:
    """Walk a proposed blacklist entry through its procedure, each step on a past day."""
    from credit.lists import steps
    from credit.lists.models import EntryStatus
    from credit.lists.schemas import TransitionInput
    from credit.policy.vocabulary import ListName

    for to, days in walk:
        actor = OFFICER if to in ("notified", "publicity") else REVIEWER
        async with db.transaction() as session:
            await steps.move(
                session,
                actor,
                ListName.BLACK,
                entry_id,
                TransitionInput(to=EntryStatus(to), reason="依程序办理"),
                today=today() - timedelta(days=days),
            )


PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64


async def attach(
    db: Database,
    actor: Actor,
    case: Objection | Repair,
    purpose: str,
    directory: Any,
    *,
    content: bytes = PDF,
    file_name: str = "scan.pdf",
    max_bytes: int = 1024 * 1024,
) -> Any:
    """Store an evidence file with the case, as the upload route does after streaming it."""
    import tempfile
    from pathlib import Path

    from repair import evidence
    from repair.models import EvidencePurpose

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, delete=False) as handle:
        handle.write(content)
    async with db.transaction() as session:
        return await evidence.attach(
            session,
            actor,
            case,
            EvidencePurpose(purpose),
            Path(handle.name),
            file_name=file_name,
            declared_type=None,
            directory=directory / "store",
            max_bytes=max_bytes,
        )
