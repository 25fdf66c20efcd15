"""Verify one subject by USCC, resident ID or NHSA code: lists now, since, until, basis."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Database
from credit.feeds.verify import IdentifierType, classify
from credit.kernel.errors import DomainError
from credit.lists.models import RemovalReason
from credit.policy.vocabulary import ListName
from tests.api.test_feed_keys import _verify
from tests.conftest import AuthHeaders
from tests.credit.feeds.support import (
    institution,
    partner,
    physician,
    put_on,
    resident_id_for,
    seed,
    take_off,
    uscc_for,
)

VERIFY = "/api/v1/verify"


async def test_a_listed_institution_by_uscc_and_by_nhsa_code(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    hospital = await institution(db, 1, "长沙仁和医院")
    entry = await put_on(db, ListName.BLACK, hospital)
    key = await partner(client, auth_headers, ["verify"])
    answer = await client.get(VERIFY, params={"id": uscc_for(1)}, headers=key["headers"])
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["identifier_type"] == "uscc"
    assert found["found"] is True
    assert found["listed"] is True
    assert found["subject"]["name"] == "长沙仁和医院"
    (listing,) = found["lists"]
    assert listing["list"] == "black"
    assert listing["entry_id"] == entry
    assert listing["since"] is not None
    assert listing["until"] > listing["since"]
    assert listing["basis"]["criterion_code"] == "BLK-FRAUD-ART40"
    assert listing["basis"]["legal_basis"]
    assert listing["basis"]["reasons"] == ["经查实，该机构伪造医疗文书骗取医保基金"]
    _verify(answer, (await client.get("/api/v1/feeds/keys")).json())

    spaced = f" {uscc_for(1)[:6]} {uscc_for(1)[6:].lower()} "
    again = await client.get(VERIFY, params={"id": spaced}, headers=key["headers"])
    assert again.json()["lists"] == found["lists"]
    by_code = await client.get(VERIFY, params={"id": "H43010200001"}, headers=key["headers"])
    assert by_code.json()["identifier_type"] == "nhsa_code"
    assert by_code.json()["lists"] == found["lists"]

    await take_off(db, ListName.BLACK, entry, RemovalReason.REPAIRED)
    after = (await client.get(VERIFY, params={"id": uscc_for(1)}, headers=key["headers"])).json()
    assert after["found"] is True
    assert after["listed"] is False
    assert after["lists"] == []


async def test_a_person_by_resident_id_masked_unless_pii(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    await put_on(db, ListName.BLACK, await physician(db, 3, "陈伟"))
    full = resident_id_for(3)
    plain = await partner(client, auth_headers, ["verify"])
    answer = await client.get(VERIFY, params={"id": full}, headers=plain["headers"])
    assert answer.json()["identifier_type"] == "resident_id"
    assert answer.json()["lists"][0]["list"] == "black"
    assert "resident_id" not in answer.json()["subject"]
    assert full not in answer.text
    allowed = await partner(client, auth_headers, ["verify", "pii"])
    shown = await client.get(VERIFY, params={"id": full}, headers=allowed["headers"])
    assert shown.json()["subject"]["resident_id"] == full


async def test_unknown_subject_and_hidden_focus_list(
    client: AsyncTestClient[Litestar], db: Database, auth_headers: AuthHeaders
) -> None:
    await seed(db)
    await put_on(db, ListName.FOCUS, await institution(db, 4, "长沙关注医院"))
    key = await partner(client, auth_headers, ["verify"])
    nobody = await client.get(VERIFY, params={"id": uscc_for(99)}, headers=key["headers"])
    assert nobody.status_code == 200
    assert nobody.json()["found"] is False
    assert nobody.json()["lists"] == []
    # The focus list is for keys with feed:focus only.
    hidden = await client.get(VERIFY, params={"id": uscc_for(4)}, headers=key["headers"])
    assert hidden.json()["listed"] is False
    focus = await partner(client, auth_headers, ["verify", "feed:focus"])
    shown = await client.get(VERIFY, params={"id": uscc_for(4)}, headers=focus["headers"])
    assert [item["list"] for item in shown.json()["lists"]] == ["focus"]


@pytest.mark.parametrize(
    ("identifier", "rule", "words"),
    [
        ("91350203M0001QAY9B", "check_digit", "check digit"),
        ("11010519491231002Y", "check_digit", "neither a valid resident ID"),
        ("110105194912310021", "check_digit", "check digit"),
        ("12345", "length", "18-character"),
        ("Q12345", "prefix", "NHSA"),
        ("H123", "layout", "digits"),
    ],
)
async def test_a_bad_identifier_is_a_400_with_the_reason(
    client: AsyncTestClient[Litestar],
    auth_headers: AuthHeaders,
    identifier: str,
    rule: str,
    words: str,
) -> None:
    key = await partner(client, auth_headers, ["verify"])
    answer = await client.get(VERIFY, params={"id": identifier}, headers=key["headers"])
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "id"
    assert answer.json()["rule"] == rule
    assert words in answer.json()["detail"]


def test_identifiers_are_read_from_their_form() -> None:
    assert classify("91110000600037341L") == [(IdentifierType.USCC, "91110000600037341L")]
    assert classify("11010519491231002x") == [(IdentifierType.RESIDENT_ID, "11010519491231002X")]
    assert classify("h43010200001") == [(IdentifierType.NHSA_CODE, "H43010200001")]
    with pytest.raises(DomainError):
        classify("91110000600037341L", IdentifierType.RESIDENT_ID)
