"""Evaluation runs: officers start them, reviewers move them to publicity and publish them;
results are read by regulators, and by a subject for its own result once public."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentActor, DbSession
from api.guards import officers, people, regulators, requires_role
from credit.kernel.actor import Actor, Role
from credit.kernel.pagination import check_limit, decode_cursor, encode_cursor
from credit.policy.fields import Grade
from indicators import repository, results, runs
from indicators.models import EvaluationRun, RunStatus
from indicators.runs import RunRequest
from indicators.schemas import (
    ID_MAX,
    EvaluationCreate,
    EvaluationResultPage,
    EvaluationResultPublic,
    EvaluationRunDetail,
    EvaluationRunPage,
    EvaluationRunPublic,
    EventPublic,
    TransitionRequest,
)

RunId = Annotated[int, Parameter(ge=1, le=ID_MAX)]
reviewers = requires_role(Role.ADMIN, Role.REVIEWER)


async def _detail(session: AsyncSession, run: EvaluationRun) -> EvaluationRunDetail:
    events = await repository.run_events(session, run.id or 0)
    return EvaluationRunDetail(
        **EvaluationRunPublic.model_validate(run).model_dump(),
        events=[EventPublic.model_validate(event) for event in events],
    )


async def _advance(
    session: AsyncSession,
    actor: Actor,
    run_id: int,
    to: RunStatus,
    data: TransitionRequest | None,
) -> EvaluationRunDetail:
    run = await runs.advance(session, actor, run_id, to, reason=data.reason if data else None)
    return await _detail(session, run)


class EvaluationController(Controller):
    path = "/evaluations"
    tags = ["evaluations"]
    # Guards per handler: Litestar adds a controller's guards to every handler's, and results
    # are also read by subjects.

    @post("/", guards=[officers])
    async def start_evaluation(
        self, data: JSONBody[EvaluationCreate], db_session: DbSession, actor: CurrentActor
    ) -> EvaluationRunDetail:
        """Compute a cycle; a future cycle, an as_of before any data or a draft set is refused."""
        request = RunRequest(
            cycle=data.cycle,
            as_of=data.as_of,
            set_ids=tuple(data.set_ids),
            profile_code=data.profile_code,
            kinds=tuple(data.kinds),
            regions=tuple(data.regions),
        )
        return await _detail(db_session, await runs.start(db_session, actor, request))

    @post("/{run_id:int}/corrections", guards=[officers])
    async def correct_evaluation(
        self, run_id: RunId, db_session: DbSession, actor: CurrentActor
    ) -> EvaluationRunDetail:
        """A correction run for the subjects whose information changed since the published run."""
        return await _detail(db_session, await runs.correct(db_session, actor, run_id))

    @get("/", guards=[regulators])
    async def list_evaluations(
        self,
        db_session: DbSession,
        cursor: Annotated[str | None, Parameter(max_length=100)] = None,
        limit: FromQuery[int] = 100,
    ) -> EvaluationRunPage:
        rows = await repository.runs(
            db_session, after_id=decode_cursor(cursor), limit=check_limit(limit)
        )
        last = rows[-1].id if rows else None
        return EvaluationRunPage(
            items=[EvaluationRunPublic.model_validate(row) for row in rows],
            next_cursor=encode_cursor(last) if last and len(rows) == limit else None,
        )

    @get("/{run_id:int}", guards=[regulators])
    async def read_evaluation(self, run_id: RunId, db_session: DbSession) -> EvaluationRunDetail:
        return await _detail(db_session, await runs.get_run(db_session, run_id))

    @post("/{run_id:int}/review", guards=[officers], status_code=200)
    async def submit_evaluation(
        self,
        run_id: RunId,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> EvaluationRunDetail:
        """computed → in_review."""
        return await _advance(db_session, actor, run_id, RunStatus.IN_REVIEW, data)

    @post("/{run_id:int}/publicity", guards=[reviewers], status_code=200)
    async def open_publicity(
        self,
        run_id: RunId,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> EvaluationRunDetail:
        """in_review → publicity (公示), by a reviewer who did not start the run."""
        return await _advance(db_session, actor, run_id, RunStatus.PUBLICITY, data)

    @post("/{run_id:int}/publish", guards=[reviewers], status_code=200)
    async def publish_evaluation(
        self,
        run_id: RunId,
        db_session: DbSession,
        actor: CurrentActor,
        data: JSONBody[TransitionRequest | None] = None,
    ) -> EvaluationRunDetail:
        """publicity → published, by a reviewer who did not start the run."""
        return await _advance(db_session, actor, run_id, RunStatus.PUBLISHED, data)

    @get("/{run_id:int}/results", guards=[people])
    async def list_results(
        self,
        run_id: RunId,
        db_session: DbSession,
        actor: CurrentActor,
        subject_id: Annotated[int | None, Parameter(ge=1, le=ID_MAX)] = None,
        grade: FromQuery[Grade | None] = None,
        cursor: Annotated[str | None, Parameter(max_length=100)] = None,
        limit: FromQuery[int] = 100,
    ) -> EvaluationResultPage:
        """Results with grade counts; a subject sees only its own, and only once public."""
        page = await results.results(
            db_session,
            actor,
            run_id,
            subject_id=subject_id,
            grade=grade,
            cursor=cursor,
            limit=limit,
        )
        return EvaluationResultPage(
            items=[EvaluationResultPublic.model_validate(row) for row in page.items],
            next_cursor=page.next_cursor,
            grade_counts=page.grade_counts,
        )
