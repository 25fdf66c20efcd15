"""Set-up for measure tests: subjects of several kinds, standings, the change log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from api.db import Database
from credit.changelog.models import ChangeLogEntry
from credit.kernel.actor import SYSTEM_ACTOR
from credit.measures import service
from credit.measures.models import MeasureAssignment
from credit.measures.service import ReconcileReport
from credit.measures.standing import Standing
from credit.subjects import service as subjects
from credit.subjects.models import QualificationStatus, SubjectCreate
from credit.subjects.pii import PersonalIdentifiers

PII = PersonalIdentifiers("test-secret-key-that-is-long-enough")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(body: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2)."""
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


async def person(db: Database, kind: str, number: int) -> int:
    """A physician, pharmacist or insured person with a valid, distinct resident ID."""
    staff = kind in ("physician", "pharmacist")
    async with db.transaction() as session:
        subject = await subjects.register(
            session,
            SYSTEM_ACTOR,
            SubjectCreate(
                kind=kind,
                name=f"人员{number}",
                resident_id=resident_id(f"11010519800101{number:03d}"),
                qualification_status=QualificationStatus.NORMAL if staff else None,
            ),
            pii=PII,
        )
    assert subject.id is not None
    return subject.id


async def reconcile(db: Database, *standings: Standing, today: date) -> ReconcileReport:
    async with db.transaction() as session:
        return await service.reconcile(session, standings, today=today)


async def assignments(db: Database, subject_id: int) -> dict[str, MeasureAssignment]:
    """The subject's assignments by measure code (the newest per code)."""
    async with db.transaction() as session:
        query = (
            select(MeasureAssignment)
            .where(MeasureAssignment.subject_id == subject_id)  # type: ignore[arg-type]
            .order_by(MeasureAssignment.id)  # type: ignore[arg-type]
        )
        rows = (await session.execute(query)).scalars().all()
    return {row.measure_code: row for row in rows}


async def changes(db: Database, subject_id: int) -> Sequence[tuple[str, str, str | None, Any]]:
    """(op, measure code, agency, body) of the subject's logged assignment changes, in order."""
    async with db.transaction() as session:
        query = (
            select(ChangeLogEntry)
            .where(
                ChangeLogEntry.subject_id == subject_id,  # type: ignore[arg-type]
                ChangeLogEntry.entity == "measure_assignment",  # type: ignore[arg-type]
            )
            .order_by(ChangeLogEntry.seq)  # type: ignore[arg-type]
        )
        rows = (await session.execute(query)).scalars().all()
    return [(row.op, row.body["measure_code"], row.agency, row.body) for row in rows]
