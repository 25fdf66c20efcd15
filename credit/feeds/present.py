"""What a feed reader sees of a subject: identifiers masked unless the reader holds `pii`.

The change log stores every body with personal identifiers masked (`resident_id_masked`); a
reader allowed to see them gets the full `resident_id` added, unsealed at answer time, so a
stored change never holds a plain personal identifier.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import select

from credit.kernel.statements import Statements, among
from credit.subjects.models import SUBJECT_TABLE
from credit.subjects.pii import PersonalIdentifiers

SUBJECT = SUBJECT_TABLE.c
LOOKUP_CHUNK = 1000


_SEALED = {
    dialect: select(SUBJECT.id, SUBJECT.resident_id_sealed).where(
        condition, SUBJECT.resident_id_sealed.is_not(None)
    )
    for dialect, condition in among(SUBJECT.id, "ids").items()
}
_CARDS = {
    dialect: select(
        SUBJECT.id,
        SUBJECT.name,
        SUBJECT.kind,
        SUBJECT.region_code,
        SUBJECT.uscc,
        SUBJECT.nhsa_code,
        SUBJECT.resident_id_masked,
    ).where(condition)
    for dialect, condition in among(SUBJECT.id, "ids").items()
}


def _chunks(subject_ids: Collection[int]) -> list[list[int]]:
    ordered = sorted(set(subject_ids))
    return [ordered[start : start + LOOKUP_CHUNK] for start in range(0, len(ordered), LOOKUP_CHUNK)]


async def resident_ids(
    statements: Statements, pii: PersonalIdentifiers, subject_ids: Collection[int]
) -> dict[int, str]:
    """The plain resident ID of each of these subjects that has one."""
    found: dict[int, str] = {}
    for chunk in _chunks(subject_ids):
        for row in await statements.rows(_SEALED[statements.dialect], {"ids": chunk}):
            plain = pii.unseal(row["resident_id_sealed"])
            if plain is not None:
                found[int(row["id"])] = plain
    return found


def persons_in(bodies: Iterable[dict[str, Any]]) -> set[int]:
    """Subjects of these list-entry bodies that carry a (masked) resident ID."""
    return {
        int(body["subject"]["id"])
        for body in bodies
        if isinstance(body.get("subject"), dict) and body["subject"].get("resident_id_masked")
    }


def with_identifiers(body: dict[str, Any], plain: dict[int, str]) -> dict[str, Any]:
    """The body with the subject's full resident ID added where the reader may see it."""
    subject = body.get("subject")
    if not isinstance(subject, dict) or int(subject.get("id", 0)) not in plain:
        return body
    return {**body, "subject": {**subject, "resident_id": plain[int(subject["id"])]}}


async def subject_cards(
    statements: Statements, subject_ids: Collection[int], plain: dict[int, str] | None = None
) -> dict[int, dict[str, Any]]:
    """Who each subject is, as a list entry names it (for measure assignments, which do not)."""
    cards: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(subject_ids):
        for row in await statements.rows(_CARDS[statements.dialect], {"ids": chunk}):
            card = dict(row)
            if plain and row["id"] in plain:
                card["resident_id"] = plain[row["id"]]
            cards[int(row["id"])] = card
    return cards
