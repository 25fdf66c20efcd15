"""Personnel points: regulators read any person's ledger, a subject account its own."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.deps import CurrentActor, DbSession
from api.guards import people
from credit.kernel.errors import NotFound
from credit.records.history import may_read_subject
from indicators import points
from indicators.schemas import ID_MAX, PointsLedgerPublic


class PointsController(Controller):
    path = "/points"
    tags = ["points"]
    guards = [people]

    @get("/{subject_id:int}")
    async def read_points(
        self,
        subject_id: Annotated[int, Parameter(ge=1, le=ID_MAX)],
        db_session: DbSession,
        actor: CurrentActor,
        year: Annotated[int | None, Parameter(ge=2000, le=2100)] = None,
    ) -> PointsLedgerPublic:
        """The year's ledger (this year by default): entries, repairs, total and status."""
        if not may_read_subject(actor, subject_id):
            raise NotFound(
                f"subject {subject_id} does not exist", field="subject_id", rule="exists"
            )
        found = await points.ledger(db_session, subject_id, year=year)
        return PointsLedgerPublic.model_validate(found)
