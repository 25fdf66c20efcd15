"""Finding subjects: name, exact identifier (personal ones through their keyed hash), kind,
region prefix, with cursor paging."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.errors import InvalidInput
from credit.kernel.pagination import Page, check_limit, decode_cursor, encode_cursor
from credit.subjects import repository
from credit.subjects.identifiers import DIGITS, INSURANCE_NO_ALPHABET, compact
from credit.subjects.kinds import get_kind
from credit.subjects.models import Subject, plain_text
from credit.subjects.pii import PersonalIdentifiers

MAX_IDENTIFIER_LENGTH = 30


def region_prefix(value: str) -> str:
    """`110000` (Beijing) → `11`, `110100` → `1101`: a division code matches what lies in it."""
    code = value.strip()
    if len(code) not in (2, 4, 6) or any(char not in DIGITS for char in code):
        raise InvalidInput(
            "region is a GB/T 2260 code or prefix of 2, 4 or 6 digits",
            field="region",
            rule="region_format",
        )
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    if code == "00":
        raise InvalidInput("region 00 names no province", field="region", rule="region")
    return code


def identifier_value(value: str) -> str:
    """An identifier normalised the way stored ones are (upper case, no spaces or hyphens)."""
    text = compact(value, "identifier")
    if len(text) > MAX_IDENTIFIER_LENGTH or any(c not in INSURANCE_NO_ALPHABET for c in text):
        raise InvalidInput(
            f"identifier is up to {MAX_IDENTIFIER_LENGTH} letters and digits",
            field="identifier",
            rule="characters",
        )
    return text


def _name_fragment(value: str) -> str:
    try:
        text = plain_text(value)
    except ValueError as error:
        raise InvalidInput(f"name {error}", field="name", rule="plain_text") from None
    assert text is not None
    return text


def name_or_identifier(pii: PersonalIdentifiers, text: str) -> ColumnElement[bool]:
    """What a public search box means: the name contains the text, or an identifier (USCC,
    NHSA code, resident ID, insurance number) is exactly it."""
    name = repository.conditions(repository.SubjectFilter(name_contains=_name_fragment(text)))
    try:
        value = identifier_value(text)
    except InvalidInput:
        return and_(*name)
    by_identifier = repository.conditions(
        repository.SubjectFilter(
            uscc_or_nhsa=value,
            resident_id_hash=pii.lookup_hash("resident_id", value),
            insurance_no_hash=pii.lookup_hash("insurance_no", value),
        )
    )
    return or_(*name, *by_identifier)


async def search(
    session: AsyncSession,
    pii: PersonalIdentifiers,
    *,
    name: str | None = None,
    identifier: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Subject]:
    """Subjects matching every given filter, in registration order, one page at a time."""
    value = identifier_value(identifier) if identifier else None
    criteria = repository.SubjectFilter(
        name_contains=_name_fragment(name) if name else None,
        kind=get_kind(kind).code if kind else None,
        region_prefix=region_prefix(region) if region else None,
        uscc_or_nhsa=value,
        resident_id_hash=pii.lookup_hash("resident_id", value) if value else None,
        insurance_no_hash=pii.lookup_hash("insurance_no", value) if value else None,
    )
    limit = check_limit(limit)
    # One row more than asked tells whether another page follows without a count.
    rows = list(
        await repository.search(session, criteria, after_id=decode_cursor(cursor), limit=limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id) if more and rows[-1].id is not None else None
    return Page(items=rows, next_cursor=next_cursor)
