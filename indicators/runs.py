"""Evaluation runs: compute a cycle in bounded chunks, then review, publicity and publication."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel import knowledge
from credit.kernel.actor import SYSTEM_ACTOR, Actor
from credit.kernel.clock import business_date, business_today, utcnow
from credit.kernel.errors import InvalidInput, NotFound
from credit.records.history import instant
from indicators import aggregation, engine, reasons, repository, run_workflow, sets, standing
from indicators.aggregation import ScopedSubject
from indicators.cycles import Cycle, parse_cycle
from indicators.engine import Gathered
from indicators.models import EvaluationRun, RunStatus, SetStatus
from indicators.result_store import ResultWriter
from indicators.scoring import Outcome
from indicators.sets import LoadedSet

CHUNK_SUBJECTS = 2000  # subjects per statement: memory stays flat however large the province
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RunRequest:
    cycle: str
    as_of: datetime | None = None  # now when omitted; without an offset, Shanghai time
    set_ids: tuple[int, ...] = ()
    profile_code: str | None = None  # the active sets of this profile, when no ids are given
    kinds: tuple[str, ...] = ()  # the kinds of the chosen sets when empty
    regions: tuple[str, ...] = ()  # everywhere when empty
    corrects_run_id: int | None = None
    changed_since: datetime | None = None  # only subjects whose information changed since


async def _chosen_sets(session: AsyncSession, request: RunRequest) -> dict[str, LoadedSet]:
    ids = list(request.set_ids)
    if not ids and request.profile_code:
        for kind in request.kinds:
            active = await sets.active_set(session, request.profile_code, kind)
            if active is None:
                raise InvalidInput(
                    f"profile {request.profile_code} has no active indicator set for {kind}",
                    field="kinds",
                    rule="active_set",
                )
            ids.append(active.id or 0)
    if not ids:
        raise InvalidInput(
            "name the indicator set versions, or a profile and the kinds to evaluate",
            field="set_ids",
            rule="required",
        )
    chosen: dict[str, LoadedSet] = {}
    for set_id in ids:
        loaded = await sets.load(session, set_id)
        if loaded.row.status == SetStatus.DRAFT:
            raise InvalidInput(
                f"indicator set {set_id} is a draft; a draft is only simulated, never run",
                field="set_ids",
                rule="not_draft",
            )
        if loaded.row.subject_kind in chosen:
            raise InvalidInput(
                f"two indicator sets given for {loaded.row.subject_kind}",
                field="set_ids",
                rule="one_set_per_kind",
            )
        chosen[loaded.row.subject_kind] = loaded
    missing = set(request.kinds) - set(chosen)
    if missing:
        raise InvalidInput(
            f"no indicator set given for {', '.join(sorted(missing))}",
            field="set_ids",
            rule="set_per_kind",
        )
    return chosen


async def _check_as_of(session: AsyncSession, as_of: datetime, cycle: Cycle) -> None:
    now = utcnow()
    if as_of > now:
        raise InvalidInput("as_of lies in the future", field="as_of", rule="as_of_not_future")
    earliest = await aggregation.earliest_knowledge(session)
    if earliest is None or as_of < earliest:
        raise InvalidInput(
            f"as_of {as_of.isoformat()} is before any credit record was known",
            field="as_of",
            rule="as_of_after_data",
        )
    if business_date(as_of) < cycle.start:
        raise InvalidInput(
            f"as_of {as_of.isoformat()} is before cycle {cycle.code} begins",
            field="as_of",
            rule="as_of_in_cycle",
        )


async def start(
    session: AsyncSession, actor: Actor, request: RunRequest, on_progress: Progress | None = None
) -> EvaluationRun:
    """Validate, then compute every subject in scope; nothing is stored if the input is bad."""
    cycle = parse_cycle(request.cycle, business_today())
    chosen = await _chosen_sets(session, request)
    kinds = sorted(request.kinds or chosen)
    # Every record or metric stamped before as_of is committed before the run reads (a rerun of
    # the same as_of finds the same facts).
    await knowledge.settle(session)
    as_of = instant(request.as_of) or utcnow()
    await _check_as_of(session, as_of, cycle)
    run = EvaluationRun(
        cycle=cycle.code,
        cycle_start=cycle.start,
        cycle_end=cycle.end,
        as_of=as_of,
        scope_kinds=kinds,
        scope_regions=sorted(request.regions),
        set_ids=sorted(chosen[kind].id for kind in kinds),
        status=str(RunStatus.COMPUTED),
        started_by=actor.name,
        started_at=utcnow(),
        corrects_run_id=request.corrects_run_id,
    )
    session.add(run)
    await session.flush()
    assert run.id is not None
    since = request.changed_since
    total = await aggregation.count_scope(session, kinds, request.regions, as_of, since)
    scorers = await engine.open_scorers(
        session, {kind: chosen[kind] for kind in kinds}, request.regions, cycle, as_of, since
    )
    try:
        with _frozen_heap():
            done = await _compute(
                session, run.id, request, kinds, scorers, cycle, as_of, total, on_progress
            )
    finally:
        for scorer in scorers.values():
            if scorer.records is not None:
                await scorer.records.close()
    run.subjects_evaluated = done
    await run_workflow.record_creation(session, actor, run)
    return run


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """A run allocates millions of short-lived objects; every full collection would otherwise
    rescan all the application's long-lived ones too (a third of a run's CPU time)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _compute(
    session: AsyncSession,
    run_id: int,
    request: RunRequest,
    kinds: Sequence[str],
    scorers: dict[str, engine.KindScorer],
    cycle: Cycle,
    as_of: datetime,
    total: int,
    on_progress: Progress | None,
) -> int:
    """Score every subject in scope chunk by chunk; the number scored."""
    writer, done = ResultWriter(session, run_id), 0
    plans = {scorer.loaded.id: scorer.plan for scorer in scorers.values()}
    documents = {scorer.loaded.id: scorer.loaded.document for scorer in scorers.values()}

    async def gathered_after(after_id: int) -> tuple[list[ScopedSubject], list[Gathered]]:
        chunk = await aggregation.scope_chunk(
            session,
            kinds,
            request.regions,
            as_of,
            after_id=after_id,
            size=CHUNK_SUBJECTS,
            changed_since=request.changed_since,
        )
        if not chunk:
            return chunk, []
        return chunk, await engine.gather_streamed(session, chunk, scorers, cycle, as_of)

    try:
        chunk, gathered = await gathered_after(0)
        while chunk:
            # Scoring this chunk overlaps the database writing the previous one.
            scored = await engine.score_gathered(gathered)
            await writer.flush()
            await engine.veto_listed(session, scored, plans, as_of)
            for set_id, outcomes in _outcomes_by_set(scored).items():
                # Reasons name the monitoring rules behind them, as the live score's do.
                await reasons.name_rules(session, documents[set_id], cycle, outcomes, as_of)
            done += len(chunk)
            next_chunk, gathered = await gathered_after(chunk[-1].id)
            await writer.start(scored)
            chunk = next_chunk
            if on_progress:
                on_progress(done, total)
        await writer.flush()
    except BaseException:
        await writer.abandon()
        raise
    return done


def _outcomes_by_set(scored: Sequence[engine.Scored]) -> dict[int, list[Outcome]]:
    by_set: dict[int, list[Outcome]] = {}
    for item in scored:
        by_set.setdefault(item.set_id, []).append(item.outcome)
    return by_set


async def get_run(session: AsyncSession, run_id: int) -> EvaluationRun:
    run = await repository.get_run(session, run_id)
    if run is None:
        raise NotFound(f"evaluation run {run_id} does not exist", field="run_id", rule="exists")
    return run


async def advance(
    session: AsyncSession, actor: Actor, run_id: int, to: RunStatus, *, reason: str | None = None
) -> EvaluationRun:
    """Submit for review, open publicity or publish; publishing a full run supersedes the same
    cycle's earlier published run over the same scope (a correction run supersedes only the
    results of the subjects it re-evaluated)."""
    run = await get_run(session, run_id)
    await run_workflow.transition(session, actor, run, to, reason=reason)
    if to is RunStatus.PUBLISHED and run.corrects_run_id is None:
        for earlier in await repository.published_runs(session, run.cycle):
            if earlier.id == run.id:
                continue
            same_scope = (earlier.scope_kinds, earlier.scope_regions) == (
                run.scope_kinds,
                run.scope_regions,
            )
            if same_scope:
                await run_workflow.transition(
                    session,
                    SYSTEM_ACTOR,
                    earlier,
                    RunStatus.SUPERSEDED,
                    reason=f"superseded by run {run.id}",
                )
    if to is RunStatus.PUBLISHED:
        # Measures and grade-based list candidates follow the newly published grades.
        await standing.refresh_run(session, run.id or 0)
    return run


async def correct(
    session: AsyncSession, actor: Actor, run_id: int, on_progress: Progress | None = None
) -> EvaluationRun:
    """A correction run: the published run's cycle, scope and sets, as of now, for only the
    subjects whose records or metrics became known after its as_of. The original stays as is."""
    original = await get_run(session, run_id)
    if original.status != RunStatus.PUBLISHED:
        raise InvalidInput(
            f"evaluation run {run_id} is {original.status}; only a published run is corrected "
            "(recompute an unpublished one instead)",
            field="run_id",
            rule="published_only",
        )
    request = RunRequest(
        cycle=original.cycle,
        set_ids=tuple(original.set_ids),
        kinds=tuple(original.scope_kinds),
        regions=tuple(original.scope_regions),
        corrects_run_id=run_id,
        changed_since=original.as_of,
    )
    return await start(session, actor, request, on_progress)
