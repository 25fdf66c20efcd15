"""Name matching: traditional/simplified, full-width, spaces, pinyin homophones, organisation
suffixes, an exact identifier winning, and what a partner may learn about persons."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, func, select, update

from api.db import Database
from credit.feeds import match as matching
from credit.feeds import snapshots
from credit.policy.vocabulary import ListName
from credit.subjects.models import Subject, SubjectNameGram
from tests.api.test_feed_keys import _verify
from tests.conftest import AuthHeaders
from tests.credit.feeds.support import institution, partner, physician, put_on, seed, uscc_for

MATCH = "/api/v1/match"


async def _people(db: Database) -> dict[str, int]:
    await seed(db)
    found = {
        "陈伟": await physician(db, 1, "陈伟"),
        "陈玮": await physician(db, 2, "陈玮"),
        "王芳": await physician(db, 3, "王芳"),
    }
    for name in ("陈伟", "陈玮"):
        await put_on(db, ListName.BLACK, found[name])
    return found


async def _match(
    client: AsyncTestClient[Litestar], headers: dict[str, str], *queries: dict[str, Any]
) -> list[list[dict[str, Any]]]:
    answer = await client.post(MATCH, json={"queries": list(queries)}, headers=headers)
    assert answer.status_code == 200, answer.text
    return [result["candidates"] for result in answer.json()["results"]]


async def test_traditional_full_width_and_spaces_find_the_simplified_name(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    people = await _people(db)
    key = await partner(client, auth_headers, ["match"])
    for written in ("陳偉", "陈 伟", "陈　伟", "陳　偉"):
        (candidates,) = await _match(client, key["headers"], {"name": written})
        best = candidates[0]
        assert best["subject"]["id"] == people["陈伟"], written
        assert best["score"] == 0.97
        assert "normalisation" in best["explanation"][0]
        assert best["lists"][0]["list"] == "black"


async def test_a_homophone_scores_lower_than_the_exact_name(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    people = await _people(db)
    key = await partner(client, auth_headers, ["match"])
    (candidates,) = await _match(client, key["headers"], {"name": "陈伟", "kind": "physician"})
    scores = {candidate["subject"]["id"]: candidate for candidate in candidates}
    assert scores[people["陈伟"]]["score"] == 1.0
    homophone = scores[people["陈玮"]]
    assert homophone["score"] < scores[people["陈伟"]]["score"]
    assert homophone["matched_on"] == ["pinyin"]
    assert "chen wei" in homophone["explanation"][0]
    assert [candidate["subject"]["id"] for candidate in candidates][:2] == [
        people["陈伟"],
        people["陈玮"],
    ]


async def test_partners_do_not_learn_of_unlisted_persons_regulators_do(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    people = await _people(db)
    key = await partner(client, auth_headers, ["match"])
    (for_partner,) = await _match(client, key["headers"], {"name": "王芳"})
    assert for_partner == []
    (for_officer,) = await _match(client, await auth_headers("officer"), {"name": "王芳"})
    assert for_officer[0]["subject"]["id"] == people["王芳"]
    assert for_officer[0]["lists"] == []


async def test_organisation_suffixes_and_an_exact_identifier(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    hospital = await institution(db, 10, "长沙仁和医院")
    pharmacy = await institution(db, 11, "长沙仁和药店", kind="retail_pharmacy")
    other = await institution(db, 12, "株洲康复医院")
    key = await partner(client, auth_headers, ["match", "verify"])
    company, by_uscc, wrong_uscc = await _match(
        client,
        key["headers"],
        {"name": "長沙仁和醫院有限公司"},
        {"name": "完全不同的名称", "uscc": uscc_for(12)},
        {"name": "长沙仁和医院", "uscc": uscc_for(11)},
    )
    scores = {candidate["subject"]["id"]: candidate["score"] for candidate in company}
    assert scores[hospital] == 0.93  # the same hospital, written with its legal form
    assert scores[pharmacy] == 0.6  # same core name, but a pharmacy is another body
    assert company[0]["subject"]["id"] == hospital
    # An exact identifier wins whatever the name says.
    assert by_uscc[0]["subject"]["id"] == other
    assert by_uscc[0]["score"] == 1.0
    assert by_uscc[0]["matched_on"][0] == "uscc"
    # The identifier given belongs to the pharmacy: it wins; the hospital's differs, capped.
    ranked = {candidate["subject"]["id"]: candidate for candidate in wrong_uscc}
    assert wrong_uscc[0]["subject"]["id"] == pharmacy
    assert hospital not in ranked or ranked[hospital]["score"] <= 0.3


async def test_answers_are_signed_and_limits_named(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await _people(db)
    key = await partner(client, auth_headers, ["match"])
    answer = await client.post(
        MATCH, json={"queries": [{"name": "陈伟", "ref": "row-1"}]}, headers=key["headers"]
    )
    assert answer.json()["results"][0]["ref"] == "row-1"
    _verify(answer, (await client.get("/api/v1/feeds/keys")).json())

    too_many = await client.post(
        MATCH, json={"queries": [{"name": "陈伟"}] * 101}, headers=key["headers"]
    )
    assert too_many.status_code == 400
    assert "queries" in too_many.json()["detail"]
    hundred = await client.post(
        MATCH, json={"queries": [{"name": "陈伟"}] * 100}, headers=key["headers"]
    )
    assert hundred.status_code == 200
    bad_code = await client.post(
        MATCH,
        json={"queries": [{"name": "x"}, {"name": "陈伟", "uscc": "91350203M0001QAY9B"}]},
        headers=key["headers"],
    )
    assert bad_code.status_code == 400
    assert bad_code.json()["field"] == "queries[1].uscc"
    assert bad_code.json()["rule"] == "check_digit"
    bad_kind = await client.post(
        MATCH, json={"queries": [{"name": "陈伟", "kind": "alien"}]}, headers=key["headers"]
    )
    assert bad_kind.status_code == 400
    assert bad_kind.json()["field"] == "queries[0].kind"
    refused = await client.post(MATCH, json={"queries": [{"name": "陈伟"}]})
    assert refused.status_code == 401
    no_scope = await partner(client, auth_headers, ["verify"])
    forbidden = await client.post(
        MATCH, json={"queries": [{"name": "陈伟"}]}, headers=no_scope["headers"]
    )
    assert forbidden.status_code == 403


async def test_names_are_indexed_as_character_pairs(db: Database) -> None:
    await seed(db)
    await institution(db, 20, "长沙市第一人民医院")
    async with db.transaction() as session:
        grams = (await session.execute(select(func.count()).select_from(SubjectNameGram))).scalar()
    assert grams == len("长沙市第一人民") - 1


async def test_subjects_from_before_name_indexing_are_indexed_by_the_refresh(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    older = await institution(db, 30, "湘潭济民医院")
    async with db.transaction() as session:
        await session.execute(delete(SubjectNameGram))
        await session.execute(update(Subject).values(name_key=None, name_pinyin=None))
    officer = await auth_headers("officer")
    (before,) = await _match(client, officer, {"name": "湘潭济民医院"})
    assert before == []
    async with db.transaction() as session:
        await snapshots.refresh(session)
    (after,) = await _match(client, officer, {"name": "湘潭濟民醫院"})
    assert after[0]["subject"]["id"] == older


async def test_a_name_alike_is_found_through_its_telling_pairs_not_the_common_ones(
    client: AsyncTestClient[Litestar],
    db: Database,
    auth_headers: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """长沙 begins a great many names: it is not searched (here: held by more than 2), the
    rarer pairs of the name are, and a hospital written one character differently is found."""
    monkeypatch.setattr(matching, "COMMON_GRAM_POSTINGS", 2)
    await seed(db)
    for number, name in enumerate(("长沙甲一医院", "长沙乙二医院", "长沙丙三医院"), start=40):
        await institution(db, number, name)
    target = await institution(db, 50, "长沙仁和康复医院")
    officer = await auth_headers("officer")
    (alike,) = await _match(client, officer, {"name": "长沙仁和康宁医院"})
    assert [candidate["subject"]["id"] for candidate in alike] == [target]
    assert alike[0]["matched_on"] == ["name_similar"]
    assert 0.5 <= alike[0]["score"] < 0.93
    # A name made only of common pairs finds nothing by pairs, and fails no one.
    (common,) = await _match(client, officer, {"name": "长沙医院"})
    assert common == []
