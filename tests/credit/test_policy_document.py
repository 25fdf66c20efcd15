"""The pack schema: the shipped packs validate; bad documents are named by path and rule."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from credit.kernel.errors import InvalidInput
from credit.policy.document import (
    PolicyDocumentInvalid,
    canonical_json,
    parse_stored,
    validate_document,
)
from credit.policy.loader import parse_pack, shipped_packs
from credit.policy.national import NationalPack
from credit.policy.profile import EvaluationProfile
from credit.policy.vocabulary import EarliestRepair, ResponsibilityTier


def raw(code: str) -> dict[str, Any]:
    """A shipped pack's document as plain JSON data, to break on purpose."""
    pack = next(pack for pack in shipped_packs() if pack.code == code)
    return copy.deepcopy(pack.document.model_dump(mode="json"))


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(PolicyDocumentInvalid) as caught:
        validate_document(document)
    return [(problem.path, problem.rule) for problem in caught.value.problems]


def test_every_shipped_pack_validates_and_round_trips() -> None:
    packs = {pack.code: pack for pack in shipped_packs()}
    assert set(packs) == {"national", "hunan-2024", "inner-mongolia-2025", "guangdong-2024"}
    for pack in packs.values():
        text = canonical_json(pack.document)
        assert canonical_json(parse_stored(text)) == text
    national = packs["national"].document
    assert isinstance(national, NationalPack)
    assert len(national.catalog) >= 50


@pytest.mark.parametrize(
    ("code", "score", "grade"),
    [
        ("hunan-2024", "100", "A"),
        ("hunan-2024", "85", "A"),
        ("hunan-2024", "84.99", "B"),
        ("hunan-2024", "40", "C"),
        ("hunan-2024", "0", "D"),
        ("inner-mongolia-2025", "90", "A"),
        ("inner-mongolia-2025", "89.5", "B"),
        ("inner-mongolia-2025", "65", "C"),
        ("inner-mongolia-2025", "64.99", "D"),
        ("guangdong-2024", "1000", "A"),
        ("guangdong-2024", "850", "B"),
        ("guangdong-2024", "599", "E"),
    ],
)
def test_provincial_grade_bands(code: str, score: str, grade: str) -> None:
    profile = next(pack for pack in shipped_packs() if pack.code == code).document
    assert isinstance(profile, EvaluationProfile)
    assert profile.grade_for(Decimal(score)) == grade


def test_profiles_carry_their_special_rules() -> None:
    packs = {pack.code: pack.document for pack in shipped_packs()}
    inner_mongolia, guangdong = packs["inner-mongolia-2025"], packs["guangdong-2024"]
    assert isinstance(inner_mongolia, EvaluationProfile)
    assert isinstance(guangdong, EvaluationProfile)
    assert inner_mongolia.eligibility.min_designated_months == 6
    assert (guangdong.scale, guangdong.base) == (1000, 850)
    assert {(veto.when, veto.grade) for veto in guangdong.vetoes} >= {("black_list", "E")}


def test_unknown_key_is_named() -> None:
    document = raw("national")
    document["catalog"][12]["colour"] = "red"
    assert problems(document) == [("catalog[12].colour", "unknown_key")]


def test_unknown_category_is_named() -> None:
    document = raw("national")
    document["catalog"][3]["category"] = "gossip"
    assert problems(document) == [("catalog[3].category", "known_value")]


def test_duplicate_item_code_is_named() -> None:
    document = raw("national")
    document["catalog"][5]["code"] = document["catalog"][4]["code"]
    assert ("catalog[5].code", "duplicate_code") in problems(document)


def test_min_above_max_is_named() -> None:
    document = raw("national")
    document["severity_tiers"]["general"]["publication"] = {"min_months": 13, "max_months": 12}
    assert problems(document) == [("severity_tiers.general.publication", "min_le_max")]


def test_gapped_bands_are_named() -> None:
    document = raw("hunan-2024")
    document["grade_bands"][1]["min"] = 66  # B from 66 leaves 65–66 without a grade
    assert problems(document) == [("grade_bands[1].min", "gapped_bands")]


def test_overlapping_bands_are_named() -> None:
    document = raw("hunan-2024")
    document["grade_bands"][2]["max"] = 70  # C up to 70 overlaps B from 65
    assert problems(document) == [("grade_bands[1].min", "overlapping_bands")]


def test_bands_must_reach_the_scale() -> None:
    document = raw("inner-mongolia-2025")
    document["grade_bands"][0]["max"] = 99
    assert problems(document) == [("grade_bands[0].max", "bands_cover_scale")]


def test_unknown_subject_kind_is_named() -> None:
    document = raw("national")
    document["catalog"][0]["subject_kinds"] = ["spaceship"]
    assert problems(document) == [("catalog[0].subject_kinds[0]", "known_kind")]


def test_cross_references_are_checked() -> None:
    document = raw("national")
    document["lists"]["black"]["criteria"][0]["item_codes"][0] = "ENF-99-NOTHING"
    document["catalog"][0]["article"] = 99
    document["measures"][8]["trigger"] = {"lists": ["black"]}  # an incentive
    found = problems(document)
    assert ("lists.black.criteria[0].item_codes[0]", "known_item") in found
    assert ("catalog[0].article", "known_article") in found
    assert ("measures[8].trigger.lists", "trigger_matches_type") in found


def test_points_table_must_cover_the_suspension_band() -> None:
    document = raw("national")
    del document["personnel_points"]["suspension"]["months_by_points"][1]
    assert problems(document) == [
        ("personnel_points.suspension.months_by_points", "points_table_covers")
    ]


def test_severity_rules_by_category() -> None:
    document = raw("national")
    enforcement = next(
        i for i, e in enumerate(document["catalog"]) if e["category"] == "enforcement"
    )
    positive = next(i for i, e in enumerate(document["catalog"]) if e["category"] == "positive")
    document["catalog"][enforcement]["severity"] = None
    document["catalog"][positive]["repairable"] = True
    assert set(problems(document)) == {
        (f"catalog[{enforcement}].severity", "severity_required"),
        (f"catalog[{positive}].repairable", "not_repairable"),
    }


def test_unknown_kind_and_non_mapping() -> None:
    assert problems({"kind": "galactic"}) == [("kind", "known_value")]
    with pytest.raises(PolicyDocumentInvalid) as caught:
        validate_document(["not", "a", "mapping"])
    assert caught.value.problems[0].rule == "mapping"


def test_the_error_is_a_422_naming_prefix_file_and_every_problem() -> None:
    document = raw("hunan-2024")
    document["grade_bands"][1]["min"] = 66
    document["extra"] = 1
    with pytest.raises(PolicyDocumentInvalid) as caught:
        validate_document(document, source="hunan.yaml", prefix="document")
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert error.status_code == 422
    assert error.field == "document.extra"
    assert error.rule == "unknown_key"
    assert error.extra["file"] == "hunan.yaml"
    assert "hunan.yaml: document.extra: unknown key 'extra' [unknown_key]" in error.message


def test_pack_file_problems_name_the_file_and_header() -> None:
    text = "code: Bad Code\ntitle: x\nkind: galactic\n"
    with pytest.raises(PolicyDocumentInvalid) as caught:
        parse_pack(text, "packs/bad.yaml")
    found = {(problem.path, problem.rule) for problem in caught.value.problems}
    assert found == {("code", "pattern"), ("effective_from", "required"), ("kind", "known_value")}
    assert caught.value.message.count("packs/bad.yaml: ") == 3


def test_a_key_given_twice_in_yaml_is_refused() -> None:
    text = "code: x-pack\ncode: y-pack\n"
    with pytest.raises(PolicyDocumentInvalid) as caught:
        parse_pack(text, "twice.yaml")
    problem = caught.value.problems[0]
    assert problem.rule == "yaml_syntax"
    assert problem.path == "line 2, column 1"
    assert "given twice" in problem.message


def test_publication_and_repair_come_from_the_tier_unless_overridden() -> None:
    national = next(pack for pack in shipped_packs() if pack.code == "national").document
    assert isinstance(national, NationalPack)
    minor, general, ban = (
        national.entry("AGR-INTERVIEW"),
        national.entry("ENF-38-SPLIT-ADMISSION"),
        national.entry("ENF-43-MANAGEMENT-BAN"),
    )
    assert minor is not None
    assert general is not None
    assert ban is not None
    assert national.publication_of(minor).published_by_default is False
    assert national.publication_of(minor).max_months == 3
    assert national.earliest_repair_of(minor) is EarliestRepair.OBLIGATIONS_FULFILLED
    assert (national.publication_of(general).min_months, general.severity) == (3, "general")
    assert national.earliest_repair_of(general) is EarliestRepair.AFTER_MINIMUM
    assert national.publication_of(ban).min_months == 60
    assert national.earliest_repair_of(ban) is None


def test_personnel_points_accessors() -> None:
    national = next(pack for pack in shipped_packs() if pack.code == "national").document
    assert isinstance(national, NationalPack)
    points = national.personnel_points
    assert [points.suspension_months(n) for n in (8, 9, 10, 11, 12)] == [None, 1, 3, 6, None]
    assert points.year_start(date(2026, 12, 31)) == date(2026, 1, 1)
    assert 12 in points.band_for(ResponsibilityTier.GENERAL, fraud=True)
    assert 4 in points.band_for(ResponsibilityTier.IMPORTANT)
    assert national.remedies.objection.decide_within_working_days == 10
    assert national.lists.black.validity_years == 3
