"""Queries on indicator sets, runs and results."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

import credit.catalog.models  # noqa: F401  (registers catalog_item)
from indicators.models import (
    RESULT_TABLE,
    RUN_TABLE,
    SET_TABLE,
    EvaluationResult,
    EvaluationRun,
    EvaluationRunEvent,
    IndicatorSet,
    IndicatorSetEvent,
    RunStatus,
    Simulation,
)

# Typed columns (SQLModel's class attributes read as plain values to a type checker).
SET = SET_TABLE.c
RUN = RUN_TABLE.c
RESULT = RESULT_TABLE.c
SET_EVENT = SQLModel.metadata.tables["indicator_set_event"].c
RUN_EVENT = SQLModel.metadata.tables["evaluation_run_event"].c
SIMULATION = SQLModel.metadata.tables["simulation"].c
CATALOG = SQLModel.metadata.tables["catalog_item"].c


async def known_item_codes(session: AsyncSession) -> set[str]:
    """Codes of every catalog item any activated catalog version defined."""
    rows = await session.execute(select(CATALOG.code).distinct())
    return set(rows.scalars())


async def get_set(session: AsyncSession, set_id: int) -> IndicatorSet | None:
    return await session.get(IndicatorSet, set_id)


async def last_set_version(session: AsyncSession, profile_code: str, kind: str) -> int:
    query = select(func.max(SET.version)).where(
        SET.profile_code == profile_code, SET.subject_kind == kind
    )
    return int((await session.execute(query)).scalar_one() or 0)


async def sets(
    session: AsyncSession,
    *,
    profile_code: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> Sequence[IndicatorSet]:
    query = select(IndicatorSet).order_by(SET.id).limit(limit)
    if profile_code:
        query = query.where(SET.profile_code == profile_code)
    if kind:
        query = query.where(SET.subject_kind == kind)
    if status:
        query = query.where(SET.status == status)
    if after_id:
        query = query.where(SET.id > after_id)
    return (await session.execute(query)).scalars().all()


async def set_events(session: AsyncSession, set_id: int) -> Sequence[IndicatorSetEvent]:
    query = select(IndicatorSetEvent).where(SET_EVENT.set_id == set_id).order_by(SET_EVENT.id)
    return (await session.execute(query)).scalars().all()


async def get_run(session: AsyncSession, run_id: int) -> EvaluationRun | None:
    return await session.get(EvaluationRun, run_id)


async def runs(
    session: AsyncSession, *, after_id: int | None = None, limit: int = 100
) -> Sequence[EvaluationRun]:
    query = select(EvaluationRun).order_by(RUN.id).limit(limit)
    if after_id:
        query = query.where(RUN.id > after_id)
    return (await session.execute(query)).scalars().all()


async def run_events(session: AsyncSession, run_id: int) -> Sequence[EvaluationRunEvent]:
    query = select(EvaluationRunEvent).where(RUN_EVENT.run_id == run_id).order_by(RUN_EVENT.id)
    return (await session.execute(query)).scalars().all()


async def results(
    session: AsyncSession,
    run_id: int,
    *,
    subject_id: int | None = None,
    grade: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> Sequence[EvaluationResult]:
    query = select(EvaluationResult).where(RESULT.run_id == run_id).order_by(RESULT.id).limit(limit)
    if subject_id is not None:
        query = query.where(RESULT.subject_id == subject_id)
    if grade is not None:
        query = query.where(RESULT.grade == grade)
    if after_id:
        query = query.where(RESULT.id > after_id)
    return (await session.execute(query)).scalars().all()


async def grade_counts(
    session: AsyncSession, run_id: int, *, subject_id: int | None = None
) -> dict[str, int]:
    """Results per grade; subjects not evaluated count under `not_evaluated`."""
    query = select(RESULT.grade, func.count()).where(RESULT.run_id == run_id).group_by(RESULT.grade)
    if subject_id is not None:
        query = query.where(RESULT.subject_id == subject_id)
    return {grade or "not_evaluated": int(n) for grade, n in (await session.execute(query)).all()}


async def published_runs(session: AsyncSession, cycle: str) -> Sequence[EvaluationRun]:
    query = select(EvaluationRun).where(RUN.cycle == cycle, RUN.status == str(RunStatus.PUBLISHED))
    return (await session.execute(query)).scalars().all()


async def results_between(
    session: AsyncSession, run_id: int, lo: int, hi: int
) -> dict[int, EvaluationResult]:
    """A run's results for the subject ids lo–hi (one chunk), by subject."""
    query = select(EvaluationResult).where(
        RESULT.run_id == run_id, RESULT.subject_id.between(lo, hi)
    )
    return {row.subject_id: row for row in (await session.execute(query)).scalars()}


async def simulations(
    session: AsyncSession, *, after_id: int | None = None, limit: int = 100
) -> Sequence[Simulation]:
    query = select(Simulation).order_by(SIMULATION.id).limit(limit)
    if after_id:
        query = query.where(SIMULATION.id > after_id)
    return (await session.execute(query)).scalars().all()


async def simulation_named(session: AsyncSession, name: str) -> Simulation | None:
    query = select(Simulation).where(SIMULATION.name == name)
    return (await session.execute(query)).scalar_one_or_none()
