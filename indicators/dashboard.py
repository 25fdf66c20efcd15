"""Figures for the regulator's dashboard: grades by kind and region in the latest published run,
the mean score across published cycles, and the runs waiting for someone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Float, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.subjects.models import Subject
from indicators.models import EvaluationResult, EvaluationRun, RunStatus

WAITING = (RunStatus.COMPUTED, RunStatus.IN_REVIEW, RunStatus.PUBLICITY)


@dataclass(frozen=True, slots=True)
class GradeSpread:
    run: EvaluationRun | None
    by_kind: dict[str, dict[str, int]]  # kind → grade → subjects
    by_region: dict[str, dict[str, int]]  # province (first two digits) → grade → subjects


async def latest_published(session: AsyncSession) -> EvaluationRun | None:
    query = (
        select(EvaluationRun)
        .where(
            col(EvaluationRun.status) == str(RunStatus.PUBLISHED),
            col(EvaluationRun.corrects_run_id).is_(None),
        )
        .order_by(col(EvaluationRun.cycle_end).desc(), col(EvaluationRun.id).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalars().first()


async def grade_spread(session: AsyncSession) -> GradeSpread:
    run = await latest_published(session)
    by_kind: dict[str, dict[str, int]] = {}
    by_region: dict[str, dict[str, int]] = {}
    if run is None:
        return GradeSpread(None, by_kind, by_region)
    province = func.substr(col(Subject.region_code), 1, 2)
    query = (
        select(col(Subject.kind), province, col(EvaluationResult.grade), func.count())
        .join(Subject, col(Subject.id) == col(EvaluationResult.subject_id))
        .where(col(EvaluationResult.run_id) == run.id, col(EvaluationResult.eligible))
        .group_by(col(Subject.kind), province, col(EvaluationResult.grade))
    )
    for kind, region, grade, count in (await session.execute(query)).all():
        grade = grade or "—"
        by_kind.setdefault(kind, {})[grade] = by_kind.get(kind, {}).get(grade, 0) + int(count)
        region = region or "—"
        by_region.setdefault(region, {})[grade] = by_region.get(region, {}).get(grade, 0) + int(
            count
        )
    return GradeSpread(run, by_kind, by_region)


async def score_trend(session: AsyncSession, *, cycles: int = 8) -> list[tuple[str, Decimal]]:
    """(cycle, mean score) of the published full runs, oldest first."""
    query = (
        select(col(EvaluationRun.cycle), func.avg(cast(col(EvaluationResult.total), Float)))
        .join(EvaluationResult, col(EvaluationResult.run_id) == col(EvaluationRun.id))
        .where(
            col(EvaluationRun.status) == str(RunStatus.PUBLISHED),
            col(EvaluationRun.corrects_run_id).is_(None),
            col(EvaluationResult.total).is_not(None),
        )
        .group_by(col(EvaluationRun.cycle))
        .order_by(col(EvaluationRun.cycle).desc())
        .limit(cycles)
    )
    rows = (await session.execute(query)).all()
    # Money keeps hundredths as integers; the mean comes back in those units.
    hundredth = Decimal("0.01")
    return [(cycle, (Decimal(str(mean)) / 100).quantize(hundredth)) for cycle, mean in rows][::-1]


async def waiting_runs(session: AsyncSession) -> Sequence[EvaluationRun]:
    query = (
        select(EvaluationRun)
        .where(col(EvaluationRun.status).in_([str(status) for status in WAITING]))
        .order_by(col(EvaluationRun.id))
    )
    return (await session.execute(query)).scalars().all()
