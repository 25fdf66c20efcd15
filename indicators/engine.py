"""Score one chunk of subjects: one aggregate statement per kind, then pure scoring in memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from indicators import aggregation, scoring
from indicators.aggregation import Aggregate, ScopedSubject
from indicators.cycles import Cycle
from indicators.scoring import Outcome
from indicators.sets import LoadedSet


@dataclass(frozen=True, slots=True)
class Scored:
    subject: ScopedSubject
    set_id: int
    outcome: Outcome


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
        by_subject: dict[int, dict[str, Aggregate]] = {}
        for (subject_id, code), aggregate in found.items():
            by_subject.setdefault(subject_id, {})[code] = aggregate
        for subject in subjects:
            outcome = scoring.evaluate(
                loaded.document,
                loaded.profile,
                cycle,
                subject.designated_on,
                by_subject.get(subject.id, {}),
            )
            scored.append(Scored(subject, loaded.id, outcome))
    return scored
