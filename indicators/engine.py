"""Score subjects: aggregates from the database, then pure scoring in memory through one plan
per set, so what every subject shares is worked out once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from credit.lists import service as lists
from credit.policy.vocabulary import ListName
from indicators import aggregation
from indicators.aggregation import ScopedSubject
from indicators.cycles import Cycle
from indicators.record_pass import Aggregate, Found, RecordStream
from indicators.scoring import Outcome, ScoringPlan
from indicators.sets import LoadedSet

SLICE = 200  # subjects scored between two chances for the pending write to progress


@dataclass(frozen=True, slots=True)
class Scored:
    subject: ScopedSubject
    set_id: int
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class KindScorer:
    """How one kind is scored in a run: its set, its compiled plan and its open record pass."""

    loaded: LoadedSet
    plan: ScoringPlan
    records: RecordStream | None


def _by_subject(found: Mapping[tuple[int, str], Aggregate], into: Found) -> Found:
    for (subject_id, code), aggregate in found.items():
        into.setdefault(subject_id, {})[code] = aggregate
    return into


def _score(
    scorer: KindScorer, subjects: Sequence[ScopedSubject], by_subject: Found
) -> list[Scored]:
    evaluate, set_id = scorer.plan.evaluate, scorer.loaded.id
    nothing: dict[str, Aggregate] = {}
    return [
        Scored(
            subject, set_id, evaluate(subject.designated_on, by_subject.get(subject.id, nothing))
        )
        for subject in subjects
    ]


async def veto_listed(
    session: AsyncSession, scored: Sequence[Scored], plans: Mapping[int, ScoringPlan], at: datetime
) -> None:
    """Apply the profiles' list vetoes: who was on the blacklist at `at` (as known then, so a
    rerun of the same as_of gives the same grades) gets the grade its profile forces."""
    wanted = [item.subject.id for item in scored if plans[item.set_id].black_list_grade]
    if not wanted:
        return
    listed = await lists.listings(session, wanted, at)
    for item in scored:
        black = [
            entry for entry in listed.get(item.subject.id, ()) if entry.list_name == ListName.BLACK
        ]
        if black:
            first = min(black, key=lambda entry: entry.valid_from)
            plans[item.set_id].veto_black_listed(item.outcome, first.entry_id, first.valid_from)


async def score_chunk(
    session: AsyncSession,
    chunk: Sequence[ScopedSubject],
    chosen: Mapping[str, LoadedSet],
    cycle: Cycle,
    as_of: datetime,
) -> list[Scored]:
    """Every subject of the chunk whose kind has a set, scored with that set."""
    scored: list[Scored] = []
    for kind, loaded in chosen.items():
        subjects = [subject for subject in chunk if subject.kind == kind]
        if not subjects:
            continue
        found = await aggregation.aggregate_chunk(
            session, loaded.document, [subject.id for subject in subjects], cycle, as_of
        )
        scorer = KindScorer(loaded, ScoringPlan(loaded.document, loaded.profile, cycle), None)
        part = _score(scorer, subjects, _by_subject(found, {}))
        await veto_listed(session, part, {loaded.id: scorer.plan}, as_of)
        scored += part
    return scored


async def open_scorers(
    session: AsyncSession,
    chosen: Mapping[str, LoadedSet],
    regions: Sequence[str],
    cycle: Cycle,
    as_of: datetime,
    changed_since: datetime | None = None,
) -> dict[str, KindScorer]:
    """A scorer per kind, its record pass over the whole scope started (close them after)."""
    scorers: dict[str, KindScorer] = {}
    for kind, loaded in chosen.items():
        records = await aggregation.open_record_stream(
            session, loaded.document, kind, regions, cycle, as_of, changed_since
        )
        plan = ScoringPlan(loaded.document, loaded.profile, cycle)
        scorers[kind] = KindScorer(loaded, plan, records)
    return scorers


@dataclass(frozen=True, slots=True)
class Gathered:
    """What a chunk's subjects of one kind found, read and ready to score."""

    scorer: KindScorer
    subjects: list[ScopedSubject]
    found: Found


async def gather_streamed(
    session: AsyncSession,
    chunk: Sequence[ScopedSubject],
    scorers: Mapping[str, KindScorer],
    cycle: Cycle,
    as_of: datetime,
) -> list[Gathered]:
    """The database's part of the next chunk of a run (subjects in id order, after every
    earlier chunk)."""
    gathered: list[Gathered] = []
    for kind, scorer in scorers.items():
        subjects = [subject for subject in chunk if subject.kind == kind]
        found: Found = {}
        if scorer.records is not None:
            # Taken even when no subject of this kind is in the chunk, to stay in step.
            found = await scorer.records.until(chunk[-1].id)
        if not subjects:
            continue
        ids = [subject.id for subject in subjects]
        document = scorer.loaded.document
        metrics = await aggregation.aggregate_metrics(session, document, ids, cycle, as_of)
        gathered.append(Gathered(scorer, subjects, _by_subject(metrics, found)))
    return gathered


async def score_gathered(gathered: Sequence[Gathered]) -> list[Scored]:
    """Score what was gathered, letting other tasks (the previous chunk's write) run between
    slices of subjects."""
    scored: list[Scored] = []
    for part in gathered:
        for start in range(0, len(part.subjects), SLICE):
            scored += _score(part.scorer, part.subjects[start : start + SLICE], part.found)
            await asyncio.sleep(0)
    return scored


async def score_streamed(
    session: AsyncSession,
    chunk: Sequence[ScopedSubject],
    scorers: Mapping[str, KindScorer],
    cycle: Cycle,
    as_of: datetime,
) -> list[Scored]:
    """The next chunk of a run, gathered and scored."""
    return await score_gathered(await gather_streamed(session, chunk, scorers, cycle, as_of))
