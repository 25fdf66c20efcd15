"""The demo assigns measures from its standings and carries some agency feedback."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from api.db import Database
from api.demo import build_demo
from api.settings import Settings
from credit.measures.models import MeasureAssignment, MeasureFeedback
from credit.subjects.pii import PersonalIdentifiers

SCALE = 0.04


async def test_the_demo_assigns_measures_with_feedback(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        built = await build_demo(
            session, PersonalIdentifiers(settings.secret_key), seed=11, scale=SCALE
        )
    async with db.sessionmaker() as session:
        assigned = (await session.execute(select(MeasureAssignment))).scalars().all()
        feedback = (await session.execute(select(MeasureFeedback))).scalars().all()
    by_agency = Counter(assignment.agency for assignment in assigned)
    assert len(by_agency) >= 2, by_agency
    assert {assignment.measure_type for assignment in assigned} == {"incentive", "discipline"}
    assert built.measures["assigned"] >= len(by_agency)
    assert {report.outcome for report in feedback} == {"applied", "not_applicable", "failed"}
    with_feedback = [assignment for assignment in assigned if assignment.feedback_outcome]
    assert len(with_feedback) == len(feedback)
