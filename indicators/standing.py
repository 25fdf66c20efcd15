"""Each subject's standing (published grade, lists, points, qualification), measures and list
candidates that follow from it.

The evaluation layer knows grades and points, so it gathers the standings here and hands them to
`credit.measures.service.reconcile`; it also proposes the grade- and points-based list candidates
of the pack's list rules (the candidates then follow the whole listing procedure). It runs on
every `subjects_changed` announcement and, chunk by chunk, when a run is published.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.clock import business_today, utcnow
from credit.kernel.signals import SubjectsChanged
from credit.lists import service as lists
from credit.measures import service as measures
from credit.measures.service import ReconcileReport
from credit.measures.standing import Standing
from credit.policy import regime
from credit.policy import repository as packs
from credit.policy.lists import ListCriterion
from credit.policy.national import NationalPack
from credit.policy.vocabulary import FAVOURABLE_CATEGORIES, ListName
from credit.records.publication import add_months
from credit.records.repository import REVISION, known_at
from credit.subjects.kinds import registry
from credit.subjects.models import SUBJECT_TABLE
from indicators import points_status
from indicators.aggregation import COUNTED_STATUSES
from indicators.models import RUN_TABLE, RunStatus
from indicators.repository import RESULT, RUN

CHUNK_SUBJECTS = measures.CHUNK_SUBJECTS
SUBJECT = SUBJECT_TABLE.c
POINTS_YEAR = points_status.YEAR_TABLE.c


@dataclass(slots=True)
class _Gathered:
    standings: list[Standing] = field(default_factory=list)
    # Published grades per subject, latest cycle first, one per cycle (its latest run).
    grades: dict[int, list[tuple[str, str | None]]] = field(default_factory=dict)


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), CHUNK_SUBJECTS):
        yield values[start : start + CHUNK_SUBJECTS]


async def _published_grades(
    session: AsyncSession, subject_ids: Sequence[int]
) -> dict[int, list[tuple[str, str | None, int]]]:
    query = (
        select(RESULT.subject_id, RUN.cycle, RESULT.grade, RUN.id)
        .join(RUN_TABLE, RUN.id == RESULT.run_id)
        .where(RESULT.subject_id.in_(subject_ids), RUN.status == str(RunStatus.PUBLISHED))
        .order_by(RESULT.subject_id, RUN.cycle_end.desc(), RUN.id.desc())
    )
    found: dict[int, list[tuple[str, str | None, int]]] = {}
    for subject_id, cycle, grade, run_id in (await session.execute(query)).all():
        cycles = found.setdefault(int(subject_id), [])
        # A correction run of the same cycle was published later: its result is the one in force.
        if all(cycle != seen for seen, _, _ in cycles):
            cycles.append((str(cycle), grade, int(run_id)))
    return found


async def _points(session: AsyncSession, person_ids: Sequence[int], year: int) -> dict[int, int]:
    """The year's totals the points handler stored (it runs before this one on every change)."""
    if not person_ids:
        return {}
    query = select(POINTS_YEAR.person_id, POINTS_YEAR.total).where(
        POINTS_YEAR.person_id.in_(person_ids), POINTS_YEAR.year == year
    )
    return {int(person): int(total) for person, total in (await session.execute(query)).all()}


async def _gather_chunk(session: AsyncSession, subject_ids: Sequence[int]) -> _Gathered:
    query = select(SUBJECT.id, SUBJECT.kind, SUBJECT.qualification_status).where(
        SUBJECT.id.in_(subject_ids)
    )
    subjects = (await session.execute(query)).all()
    kinds = registry()
    practising = [
        int(row.id) for row in subjects if row.kind in kinds and kinds[row.kind].practises
    ]
    year = business_today().year
    totals = await _points(session, practising, year)
    grades = await _published_grades(session, subject_ids)
    in_force = await lists.in_force(session, subject_ids, utcnow())
    gathered = _Gathered()
    for row in subjects:
        subject_id = int(row.id)
        history = grades.get(subject_id, [])
        cycle, grade, run_id = history[0] if history else (None, None, None)
        gathered.grades[subject_id] = [(seen, letter) for seen, letter, _ in history]
        gathered.standings.append(
            Standing(
                subject_id=subject_id,
                kind=str(row.kind),
                grade=grade,
                grade_cycle=cycle,
                grade_run_id=run_id,
                lists=dict.fromkeys(sorted(in_force.get(subject_id, set()))),
                points=totals.get(subject_id, 0),
                points_year=year,
                qualification_status=row.qualification_status,
            )
        )
    return gathered


async def gather(session: AsyncSession, subject_ids: Collection[int]) -> list[Standing]:
    """The standings of these subjects now (unknown ids are left out)."""
    found: list[Standing] = []
    for chunk in _chunks(sorted(set(subject_ids))):
        found.extend((await _gather_chunk(session, chunk)).standings)
    return found


def _decided_by_standing(criterion: ListCriterion) -> bool:
    """Criteria on records (items, categories, fund loss) are found by the lists package."""
    return not (criterion.item_codes or criterion.categories or criterion.min_fund_loss)


def criterion_reason(
    criterion: ListCriterion, standing: Standing, grades: list[tuple[str, str | None]]
) -> str | None:
    """Why `standing` meets every condition of `criterion` (None when one fails)."""
    facts: list[str] = []
    if criterion.grades:
        wanted = grades[: criterion.consecutive_cycles or 1]
        if len(wanted) < (criterion.consecutive_cycles or 1):
            return None
        if any(grade not in criterion.grades for _, grade in wanted):
            return None
        facts.append(", ".join(f"{grade}@{cycle}" for cycle, grade in wanted))
    if criterion.qualification_statuses:
        if standing.qualification_status not in criterion.qualification_statuses:
            return None
        facts.append(f"qualification {standing.qualification_status}")
    if criterion.min_points is not None:
        if standing.points < criterion.min_points:
            return None
        facts.append(f"{standing.points} points in {standing.points_year}")
    return f"{criterion.code} {criterion.zh} / {criterion.en}: {'; '.join(facts)}"


async def _negative_since(
    session: AsyncSession, subject_ids: Collection[int], since: date
) -> set[int]:
    """Subjects with a negative record decided on or after `since`."""
    if not subject_ids:
        return set()
    query = (
        select(REVISION.subject_id)
        .distinct()
        .where(
            known_at(None),
            REVISION.status.in_(COUNTED_STATUSES),
            REVISION.category.not_in([str(category) for category in FAVOURABLE_CATEGORIES]),
            REVISION.decided_on >= since,
            REVISION.subject_id.in_(sorted(subject_ids)),
        )
    )
    return {int(value) for value in (await session.execute(query)).scalars()}


async def propose_candidates(
    session: AsyncSession, pack: NationalPack, gathered: _Gathered, today: date
) -> int:
    """Propose the grade-, points- and status-based list candidates; how many were new."""
    proposed = 0
    for name in ListName:
        rules = pack.lists.of(name)
        for criterion in filter(_decided_by_standing, rules.criteria):
            matches = {
                standing.subject_id: (standing, reason)
                for standing in gathered.standings
                if name not in standing.lists
                and rules.takes(standing.kind)
                and (
                    reason := criterion_reason(
                        criterion, standing, gathered.grades[standing.subject_id]
                    )
                )
            }
            if criterion.clean_months and matches:
                since = add_months(today, -criterion.clean_months) + timedelta(days=1)
                for subject_id in await _negative_since(session, matches, since):
                    del matches[subject_id]
            for subject_id, (_, reason) in sorted(matches.items()):
                entry = await lists.propose_automatic(
                    session, subject_id, name, criterion.code, reason
                )
                proposed += entry is not None
    return proposed


async def _refresh_chunk(
    session: AsyncSession,
    pack: NationalPack,
    chunk: Sequence[int],
    today: date,
    report: ReconcileReport,
) -> None:
    gathered = await _gather_chunk(session, chunk)
    await propose_candidates(session, pack, gathered, today)
    done = await measures.reconcile(session, gathered.standings, today=today)
    report.subjects += done.subjects
    report.started += done.started
    report.changed += done.changed
    report.ended += done.ended


async def _national_pack(session: AsyncSession, today: date) -> NationalPack | None:
    """The national rules in force; None before any were activated (no catalog, no criteria)."""
    if await packs.in_force(session, regime.NATIONAL, today) is None:
        return None
    return (await regime.national_rules(session, today)).pack


async def refresh(
    session: AsyncSession, subject_ids: Collection[int], *, today: date | None = None
) -> ReconcileReport:
    """Bring these subjects' measures and list candidates in line with their standing now."""
    today = today or business_today()
    report = ReconcileReport()
    pack = await _national_pack(session, today) if subject_ids else None
    if pack is not None:
        for chunk in _chunks(sorted(set(subject_ids))):
            await _refresh_chunk(session, pack, chunk, today, report)
    return report


async def refresh_run(session: AsyncSession, run_id: int) -> ReconcileReport:
    """After a run is published: every subject it evaluated, chunk by chunk (keyset reads, so
    memory stays flat however large the run)."""
    today = business_today()
    report = ReconcileReport()
    pack = await _national_pack(session, today)
    after_id = 0
    while pack is not None:
        query = (
            select(RESULT.subject_id)
            .where(RESULT.run_id == run_id, RESULT.subject_id > after_id)
            .order_by(RESULT.subject_id)
            .limit(CHUNK_SUBJECTS)
        )
        chunk = [int(value) for value in (await session.execute(query)).scalars()]
        if not chunk:
            break
        await _refresh_chunk(session, pack, chunk, today, report)
        after_id = chunk[-1]
    return report


async def on_subjects_changed(session: AsyncSession, event: SubjectsChanged) -> None:
    """Signal handler: a record, an import, points or a list entry changed these subjects.

    The persons a record names as responsible are refreshed too: their points moved with it.
    """
    today = business_today()
    if await _national_pack(session, today) is None:
        return
    persons = await points_status.persons_concerned(session, event.subject_ids)
    await refresh(session, set(event.subject_ids) | persons, today=today)
