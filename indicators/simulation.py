"""Simulation (模拟测算): a set version over a baseline run's data, compared subject by subject.

The simulated scores are computed chunk by chunk exactly as a run computes them and compared
with the baseline's stored results; only counts and a bounded list of changed subjects are kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from indicators import aggregation, engine, repository, sets
from indicators.cycles import Cycle
from indicators.distribution import summary
from indicators.models import EvaluationResult, Simulation
from indicators.runs import CHUNK_SUBJECTS, get_run
from indicators.scoring import Outcome

NOT_EVALUATED = "not_evaluated"
CHANGED_KEPT = 1000  # changed subjects listed in full; the count covers all of them


@dataclass(slots=True)
class Tally:
    matrix: dict[str, Counter[str]] = field(default_factory=dict)
    baseline_scores: Counter[Decimal] = field(default_factory=Counter)
    simulated_scores: Counter[Decimal] = field(default_factory=Counter)
    changed: list[dict[str, Any]] = field(default_factory=list)
    changed_count: int = 0
    population: int = 0


def _points(contributions: list[dict[str, Any]]) -> dict[str, str]:
    return {item["indicator"]: item["points"] for item in contributions}


def _moved(baseline: EvaluationResult, simulated: Outcome) -> list[dict[str, Any]]:
    """Indicators whose points differ between the baseline and the simulation."""
    before, after = _points(baseline.contributions), _points(simulated.contributions)
    return [
        {"indicator": code, "baseline": before.get(code, "0"), "simulated": after.get(code, "0")}
        for code in sorted(set(before) | set(after))
        if before.get(code, "0") != after.get(code, "0")
    ]


def _count(tally: Tally, subject_id: int, baseline: EvaluationResult, simulated: Outcome) -> None:
    old, new = baseline.grade or NOT_EVALUATED, simulated.grade or NOT_EVALUATED
    tally.population += 1
    tally.matrix.setdefault(old, Counter())[new] += 1
    if baseline.total is not None:
        tally.baseline_scores[baseline.total] += 1
    if simulated.total is not None:
        tally.simulated_scores[simulated.total] += 1
    if old != new:
        tally.changed_count += 1
        if len(tally.changed) < CHANGED_KEPT:
            tally.changed.append(
                {
                    "subject_id": subject_id,
                    "baseline_grade": old,
                    "simulated_grade": new,
                    "baseline_total": str(baseline.total) if baseline.total is not None else None,
                    "simulated_total": str(simulated.total)
                    if simulated.total is not None
                    else None,
                    "factors": _moved(baseline, simulated),
                }
            )


async def simulate(
    session: AsyncSession, actor: Actor, *, name: str, baseline_run_id: int, set_id: int
) -> Simulation:
    """Evaluate `set_id` (a draft is fine) over the baseline run's subjects, cycle and as_of."""
    if await repository.simulation_named(session, name) is not None:
        raise Conflict(f"a simulation is already named {name}", field="name", rule="unique_name")
    run = await get_run(session, baseline_run_id)
    candidate = await sets.load(session, set_id)
    kind = candidate.row.subject_kind
    baseline_set_id = None
    for candidate_id in run.set_ids:
        if (await sets.get_set(session, candidate_id)).subject_kind == kind:
            baseline_set_id = candidate_id
    if baseline_set_id is None:
        raise InvalidInput(
            f"baseline run {run.id} did not evaluate {kind} subjects",
            field="set_id",
            rule="kind_in_baseline",
        )
    cycle = Cycle(run.cycle, run.cycle_start, run.cycle_end)
    tally, after_id = Tally(), 0
    while chunk := await aggregation.scope_chunk(
        session, [kind], run.scope_regions, run.as_of, after_id=after_id, size=CHUNK_SUBJECTS
    ):
        after_id = chunk[-1].id
        baseline = await repository.results_between(session, run.id or 0, chunk[0].id, after_id)
        for scored in await engine.score_chunk(session, chunk, {kind: candidate}, cycle, run.as_of):
            if scored.subject.id in baseline:
                _count(tally, scored.subject.id, baseline[scored.subject.id], scored.outcome)
    scale = candidate.profile.scale
    simulation = Simulation(
        name=name,
        baseline_run_id=run.id or 0,
        baseline_set_id=baseline_set_id,
        set_id=set_id,
        subject_kind=kind,
        population=tally.population,
        transition_matrix={old: dict(new) for old, new in sorted(tally.matrix.items())},
        baseline_distribution=summary(tally.baseline_scores, scale),
        simulated_distribution=summary(tally.simulated_scores, scale),
        changed_count=tally.changed_count,
        changed=tally.changed,
        created_by=actor.name,
        created_at=utcnow(),
    )
    session.add(simulation)
    await session.flush()
    return simulation


async def get_simulation(session: AsyncSession, simulation_id: int) -> Simulation:
    found = await session.get(Simulation, simulation_id)
    if found is None:
        raise NotFound(
            f"simulation {simulation_id} does not exist", field="simulation_id", rule="exists"
        )
    return found


def _mean(distribution: dict[str, Any]) -> Decimal | None:
    return Decimal(distribution["mean"]) if distribution.get("mean") is not None else None


async def compare(session: AsyncSession, left_id: int, right_id: int) -> dict[str, Any]:
    """Two saved simulations side by side: means, changed subjects and grade counts."""
    sides = [await get_simulation(session, left_id), await get_simulation(session, right_id)]

    def grades(simulation: Simulation) -> dict[str, int]:
        counted: Counter[str] = Counter()
        for row in simulation.transition_matrix.values():
            counted.update(row)
        return dict(sorted(counted.items()))

    left, right = (_mean(side.simulated_distribution) for side in sides)
    return {
        "simulations": [
            {
                "id": side.id,
                "name": side.name,
                "set_id": side.set_id,
                "population": side.population,
                "simulated_mean": side.simulated_distribution.get("mean"),
                "changed_count": side.changed_count,
                "simulated_grades": grades(side),
            }
            for side in sides
        ],
        "mean_difference": str(right - left) if left is not None and right is not None else None,
    }
