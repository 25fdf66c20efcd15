"""Indicator sets: shipped defaults, validation naming the indicator and rule, the workflow."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from api.db import Database
from credit.kernel.actor import SYSTEM_ACTOR, Actor, Role
from credit.kernel.errors import Conflict, InvalidInput
from credit.policy.models import PackVersion
from indicators import repository, sets
from indicators.models import SetStatus

ADMIN = Actor(role=Role.ADMIN, name="admin-a")
KINDS = {"medical_institution", "retail_pharmacy", "physician", "pharmacist", "insured_person"}


def hunan_document() -> dict[str, Any]:
    shipped = sets.shipped_sets()
    return copy.deepcopy(
        next(doc for code, kind, _, doc in shipped if (code, kind) == ("hunan-2024", "physician"))
    )


async def test_defaults_cover_every_kind_under_each_profile_once(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    async with db.transaction() as session:
        created = await sets.ensure_default_sets(session)
        again = await sets.ensure_default_sets(session)
        active = await repository.sets(session, status="active", limit=500)
    assert again == []
    assert len(created) == 15
    pairs = {(row.profile_code, row.subject_kind) for row in active}
    for profile in ("hunan-2024", "inner-mongolia-2025", "guangdong-2024"):
        assert {kind for code, kind in pairs if code == profile} == KINDS


async def _problem(db: Database, document: dict[str, Any]) -> InvalidInput:
    async with db.transaction() as session:
        with pytest.raises(InvalidInput) as caught:
            await sets.create_draft(
                session,
                ADMIN,
                profile_code="hunan-2024",
                subject_kind="physician",
                title="draft",
                document=document,
            )
    return caught.value


async def test_unknown_item_code_names_the_indicator_and_rule(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    document = hunan_document()
    document["dimensions"][3]["indicators"][0]["rule"]["item_codes"] = ["POS-NO-SUCH-ITEM"]
    error = await _problem(db, document)
    assert error.rule == "known_item"
    assert error.field == "document.dimensions[3].indicators[0].rule.item_codes[0]"
    assert "commendations (bonus)" in error.message
    assert "POS-NO-SUCH-ITEM" in error.message


async def test_weights_that_do_not_add_up_are_refused(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    document = hunan_document()
    document["dimensions"][0]["weight"] = 39
    error = await _problem(db, document)
    assert error.rule == "weights_sum_to_module"
    assert "add up to 69" in error.message


@pytest.mark.parametrize(
    ("bands", "rule"),
    [
        (
            [{"grade": "A", "min": 80, "max": 100}, {"grade": "B", "min": 0, "max": 85}],
            "overlapping_bands",
        ),
        (
            [{"grade": "A", "min": 90, "max": 100}, {"grade": "B", "min": 0, "max": 85}],
            "gapped_bands",
        ),
    ],
)
async def test_bad_grade_bands_are_refused(
    db: Database, policy_defaults: list[PackVersion], bands: list[dict[str, Any]], rule: str
) -> None:
    document = hunan_document()
    document["grade_bands"] = bands
    error = await _problem(db, document)
    assert error.rule == rule
    assert error.field.startswith("document.grade_bands")


async def test_bonus_rule_in_a_deduction_module_is_refused(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    document = hunan_document()
    document["dimensions"][0]["indicators"][0]["rule"] = {
        "kind": "bonus",
        "categories": ["positive"],
        "points": 1,
        "cap": 2,
    }
    error = await _problem(db, document)
    assert error.rule == "bonus_in_bonus_module"
    assert "serious_violations (bonus)" in error.message


async def test_unknown_rule_kind_is_a_schema_problem(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    document = hunan_document()
    document["dimensions"][0]["indicators"][0]["rule"]["kind"] = "per_moon"
    error = await _problem(db, document)
    assert error.field.startswith("document.dimensions.0.indicators.0.rule")


async def test_workflow_draft_active_retired_and_active_never_edited(
    db: Database, policy_defaults: list[PackVersion]
) -> None:
    async with db.transaction() as session:
        await sets.ensure_default_sets(session)
        draft = await sets.create_draft(
            session,
            ADMIN,
            profile_code="hunan-2024",
            subject_kind="physician",
            title="v2",
            document=hunan_document(),
        )
        assert draft.version == 2
        old = await sets.active_set(session, "hunan-2024", "physician")
        assert old is not None
        await sets.activate(session, ADMIN, draft.id or 0)
        assert (draft.status, old.status) == (SetStatus.ACTIVE, SetStatus.RETIRED)
        with pytest.raises(Conflict) as edited:
            await sets.update_draft(session, ADMIN, draft.id or 0, title="changed")
        assert edited.value.rule == "draft_only"
        with pytest.raises(Conflict) as moved:
            await sets.activate(session, ADMIN, old.id or 0)
        assert moved.value.rule == "transition"
        await sets.retire(session, SYSTEM_ACTOR, draft.id or 0)
        events = await repository.set_events(session, draft.id or 0)
    assert [event.to_status for event in events] == ["draft", "active", "retired"]
