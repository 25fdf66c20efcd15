"""What the public may read of evaluations: runs in publicity (公示) with their objection deadline,
and the grades of the kinds each profile publishes, during publicity and once published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.kernel.errors import NotFound
from credit.subjects.models import Subject
from credit.subjects.pii import PersonalIdentifiers
from credit.subjects.search import name_or_identifier
from indicators import sets
from indicators.models import EvaluationResult, EvaluationRun, RunStatus

PUBLIC_RUNS = (RunStatus.PUBLICITY, RunStatus.PUBLISHED)
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class PublicRun:
    run_id: int
    cycle: str
    status: str
    kinds: list[str]  # the kinds whose grades are shown
    publicity_opened_on: date | None
    publicity_ends_on: date | None
    publicity_end_exact: bool | None


@dataclass(frozen=True, slots=True)
class PublicGrade:
    subject_name: str
    subject_kind: str
    uscc: str | None
    region_code: str | None
    grade: str | None
    total: Decimal | None


@dataclass(frozen=True, slots=True)
class GradePage:
    run: PublicRun
    grades: list[PublicGrade]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


async def _public_sets(session: AsyncSession, run: EvaluationRun) -> dict[int, str]:
    """{set id: kind} of the run's sets whose profile publishes that kind's grades."""
    shown: dict[int, str] = {}
    for set_id in run.set_ids:
        loaded = await sets.load(session, set_id)
        if loaded.row.subject_kind in loaded.profile.public_grade_kinds:
            shown[set_id] = loaded.row.subject_kind
    return shown


async def _describe(session: AsyncSession, run: EvaluationRun) -> PublicRun | None:
    shown = await _public_sets(session, run)
    if run.status == RunStatus.PUBLISHED and not shown:
        return None  # nothing of it is public once published
    assert run.id is not None
    return PublicRun(
        run_id=run.id,
        cycle=run.cycle,
        status=run.status,
        kinds=sorted(set(shown.values())),
        publicity_opened_on=run.publicity_opened_on,
        publicity_ends_on=run.publicity_ends_on,
        publicity_end_exact=run.publicity_end_exact,
    )


async def public_runs(session: AsyncSession, *, limit: int = 20) -> list[PublicRun]:
    """Runs in publicity and published runs with public grades, newest first."""
    query = (
        select(EvaluationRun)
        .where(col(EvaluationRun.status).in_([str(status) for status in PUBLIC_RUNS]))
        .order_by(col(EvaluationRun.id).desc())
        .limit(limit)
    )
    found = []
    for run in (await session.execute(query)).scalars():
        described = await _describe(session, run)
        if described is not None:
            found.append(described)
    return found


async def grades(
    session: AsyncSession,
    pii: PersonalIdentifiers,
    run_id: int,
    *,
    text: str = "",
    page: int = 1,
    size: int = 50,
) -> GradePage:
    """A page of a public run's grades for the kinds its profiles publish, by name."""
    run = await session.get(EvaluationRun, run_id)
    described = await _describe(session, run) if run and run.status in PUBLIC_RUNS else None
    if run is None or described is None:
        raise NotFound(f"no public evaluation {run_id}", field="run_id", rule="public_run")
    shown = await _public_sets(session, run)
    size, page = max(1, min(size, MAX_PAGE_SIZE)), max(1, page)
    query = (
        select(EvaluationResult, Subject)
        .join(Subject, col(Subject.id) == col(EvaluationResult.subject_id))
        .where(
            col(EvaluationResult.run_id) == run_id,
            col(EvaluationResult.set_id).in_(sorted(shown) or [-1]),
            col(EvaluationResult.eligible),
        )
    )
    if text.strip():
        query = query.where(name_or_identifier(pii, text.strip()))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar()
    rows = await session.execute(
        query.order_by(col(Subject.name), col(Subject.id)).offset((page - 1) * size).limit(size)
    )
    found = [
        PublicGrade(
            subject_name=subject.name,
            subject_kind=subject.kind,
            uscc=subject.uscc,
            region_code=subject.region_code,
            grade=result.grade,
            total=result.total,
        )
        for result, subject in rows.all()
    ]
    return GradePage(run=described, grades=found, total=int(total or 0), page=page, size=size)
