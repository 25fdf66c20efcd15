"""The live score: each subject's current-year score, stored and refreshed with every change.

A new record, a correction, a revocation, a repair or an objection outcome announces the
subjects it touched (`credit.kernel.signals`); `refresh` rescores them in the same transaction,
set-based (one aggregate pass per indicator set, one delete and one insert for the batch), so a
chunk of thousands of imported subjects costs a handful of statements, not one per subject.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from credit.kernel.clock import business_today, utcnow
from credit.kernel.db import IdType, Money, UTCDateTime
from credit.kernel.signals import SubjectsChanged
from credit.subjects.models import SUBJECT_TABLE
from indicators import engine, reasons, repository, sets
from indicators.aggregation import ScopedSubject
from indicators.cycles import Cycle, parse_cycle
from indicators.models import SetStatus
from indicators.sets import LoadedSet

SUBJECT = SUBJECT_TABLE.c
BATCH = 1000  # subjects per IN list: well inside every database's parameter limit


class LiveScore(SQLModel, table=True):
    """A subject's score for the current cycle from everything known at `computed_at`."""

    __tablename__ = "live_score"

    subject_id: int = Field(
        sa_column=Column(IdType, ForeignKey("subject.id"), primary_key=True, autoincrement=False)
    )
    cycle: str = Field(max_length=7)
    set_id: int = Field(sa_type=IdType, foreign_key="indicator_set.id")
    profile_code: str = Field(max_length=64)
    eligible: bool
    total: Decimal | None = Field(default=None, sa_type=Money)
    grade: str | None = Field(default=None, max_length=1)
    vetoed_by: str | None = Field(default=None, max_length=40)
    dimension_scores: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    contributions: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reason_codes: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    computed_at: datetime = Field(sa_type=UTCDateTime)


LIVE_TABLE = SQLModel.metadata.tables["live_score"]


def current_cycle() -> Cycle:
    """The live score's cycle: this natural year (Asia/Shanghai)."""
    today = business_today()
    return parse_cycle(str(today.year), today)


def _covers(loaded: LoadedSet, region_code: str | None) -> int:
    """How closely the set's profile covers a region: the prefix length, -1 when it does not."""
    prefix = loaded.profile.region_code.rstrip("0")
    return len(prefix) if region_code and region_code.startswith(prefix) else -1


async def _active_sets(session: AsyncSession, kinds: Collection[str]) -> list[LoadedSet]:
    found: list[LoadedSet] = []
    for kind in sorted(kinds):
        for row in await repository.sets(session, kind=kind, status=str(SetStatus.ACTIVE)):
            found.append(await sets.load(session, row.id or 0))
    return found


async def _subjects(session: AsyncSession, subject_ids: Sequence[int]) -> list[Any]:
    query = select(SUBJECT.id, SUBJECT.kind, SUBJECT.region_code, SUBJECT.designated_on).where(
        SUBJECT.id.in_(subject_ids)
    )
    return list((await session.execute(query)).all())


async def _score(
    session: AsyncSession, subject_ids: Sequence[int], cycle: Cycle, now: datetime
) -> list[dict[str, Any]]:
    """Rows for `live_score`: each subject scored with its kind's set under its region."""
    subjects = await _subjects(session, subject_ids)
    candidates = await _active_sets(session, {row.kind for row in subjects})
    by_set: dict[int, tuple[LoadedSet, list[ScopedSubject]]] = {}
    for row in subjects:
        fitting = [loaded for loaded in candidates if loaded.row.subject_kind == row.kind]
        best = max(fitting, key=lambda loaded: _covers(loaded, row.region_code), default=None)
        if best is None or _covers(best, row.region_code) < 0:
            continue  # no profile covers the subject: it has no live score
        subject = ScopedSubject(int(row.id), str(row.kind), row.designated_on)
        by_set.setdefault(best.id, (best, []))[1].append(subject)
    rows: list[dict[str, Any]] = []
    for loaded, members in by_set.values():
        kind = loaded.row.subject_kind
        scored = await engine.score_chunk(session, members, {kind: loaded}, cycle, now)
        outcomes = [item.outcome for item in scored]
        await reasons.name_rules(session, loaded.document, cycle, outcomes)
        rows += [
            {
                "subject_id": item.subject.id,
                "cycle": cycle.code,
                "set_id": loaded.id,
                "profile_code": loaded.row.profile_code,
                "eligible": item.outcome.eligible,
                "total": item.outcome.total,
                "grade": item.outcome.grade,
                "vetoed_by": item.outcome.vetoed_by,
                "dimension_scores": item.outcome.dimension_scores,
                "contributions": item.outcome.contributions,
                "reason_codes": item.outcome.reason_codes,
                "computed_at": now,
            }
            for item in scored
        ]
    return rows


async def refresh(session: AsyncSession, subject_ids: Collection[int]) -> int:
    """Rescore these subjects and store their live scores; how many scores were stored."""
    ordered = sorted(set(subject_ids))
    cycle, now, stored = current_cycle(), utcnow(), 0
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        rows = await _score(session, batch, cycle, now)
        scored = {row["subject_id"] for row in rows}
        unscored = [subject_id for subject_id in batch if subject_id not in scored]
        if unscored:
            await session.execute(delete(LIVE_TABLE).where(LIVE_TABLE.c.subject_id.in_(unscored)))
        if rows:
            await session.execute(_upsert(session.get_bind().dialect.name), rows)
        stored += len(rows)
    return stored


def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE: two transactions scoring a subject at once both store,
    the later one's score last (a delete then insert would trip the primary key)."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LIVE_TABLE)
    changed = {
        column.name: statement.excluded[column.name]
        for column in LIVE_TABLE.columns
        if column.name != "subject_id"
    }
    return statement.on_conflict_do_update(index_elements=["subject_id"], set_=changed)


async def on_subjects_changed(session: AsyncSession, event: SubjectsChanged) -> None:
    """Signal handler: the announced subjects' information changed in this transaction."""
    await refresh(session, event.subject_ids)


async def live_score(session: AsyncSession, subject_id: int) -> LiveScore | None:
    """The stored live score; a subject never scored (or scored last year) is scored now.

    Scoring on read writes nothing: a read stays a read, and the next change stores it.
    """
    cycle = current_cycle()
    query = select(LiveScore).where(LIVE_TABLE.c.subject_id == subject_id)
    stored = (await session.execute(query.execution_options(populate_existing=True))).scalar()
    if stored is not None and stored.cycle == cycle.code:
        return stored
    rows = await _score(session, [subject_id], cycle, utcnow())
    return LiveScore.model_validate(rows[0]) if rows else None
