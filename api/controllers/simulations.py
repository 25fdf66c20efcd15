"""Simulations: officers run a set version over a baseline run's data; never published."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.deps import CurrentActor, DbSession
from api.guards import officers, regulators
from credit.kernel.pagination import check_limit, decode_cursor, encode_cursor
from indicators import repository, simulation
from indicators.schemas import (
    ID_MAX,
    SimulationCreate,
    SimulationPage,
    SimulationPublic,
    SimulationSummary,
)

SimulationId = Annotated[int, Parameter(ge=1, le=ID_MAX)]


class SimulationController(Controller):
    path = "/simulations"
    tags = ["simulations"]
    guards = [regulators]

    @post("/", guards=[officers])
    async def create_simulation(
        self, data: JSONBody[SimulationCreate], db_session: DbSession, actor: CurrentActor
    ) -> SimulationPublic:
        """Evaluate a set version (a draft too) against a baseline run and save the comparison."""
        saved = await simulation.simulate(
            db_session,
            actor,
            name=data.name,
            baseline_run_id=data.baseline_run_id,
            set_id=data.set_id,
        )
        return SimulationPublic.model_validate(saved)

    @get("/")
    async def list_simulations(
        self,
        db_session: DbSession,
        cursor: Annotated[str | None, Parameter(max_length=100)] = None,
        limit: FromQuery[int] = 100,
    ) -> SimulationPage:
        rows = await repository.simulations(
            db_session, after_id=decode_cursor(cursor), limit=check_limit(limit)
        )
        last = rows[-1].id if rows else None
        return SimulationPage(
            items=[SimulationSummary.model_validate(row) for row in rows],
            next_cursor=encode_cursor(last) if last and len(rows) == limit else None,
        )

    @get("/{simulation_id:int}")
    async def read_simulation(
        self, simulation_id: SimulationId, db_session: DbSession
    ) -> SimulationPublic:
        found = await simulation.get_simulation(db_session, simulation_id)
        return SimulationPublic.model_validate(found)

    @get("/{simulation_id:int}/compare/{other_id:int}")
    async def compare_simulations(
        self, simulation_id: SimulationId, other_id: SimulationId, db_session: DbSession
    ) -> dict[str, Any]:
        """Two simulations side by side: population, mean, grades and changed subjects."""
        return await simulation.compare(db_session, simulation_id, other_id)
