"""Queries on subjects and practice sites."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from credit.subjects.models import (
    ID_MAX,
    PRACTICE_SITE_TABLE,
    SUBJECT_TABLE,
    PracticeSite,
    Subject,
)

SUBJECT = SUBJECT_TABLE.c
SITE = PRACTICE_SITE_TABLE.c

# The unique identifier columns, in the order a duplicate is reported.
UNIQUE_IDENTIFIER_COLUMNS = ("uscc", "resident_id_hash", "insurance_no_hash", "nhsa_code")


def _valid_id(value: int) -> bool:
    """Ids beyond a 64-bit key can name no row (and would overflow PostgreSQL's bigint)."""
    return 1 <= value <= ID_MAX


async def subject_by_id(session: AsyncSession, subject_id: int) -> Subject | None:
    return await session.get(Subject, subject_id) if _valid_id(subject_id) else None


async def duplicate_of(
    session: AsyncSession,
    identifiers: dict[str, str | None],
    *,
    kind: str,
    exclude_id: int | None = None,
) -> tuple[str, int] | None:
    """The first unique identifier column already holding one of these values, and its subject."""
    for column in UNIQUE_IDENTIFIER_COLUMNS:
        value = identifiers.get(column)
        if value is None:
            continue
        query = select(SUBJECT.id).where(SUBJECT[column] == value)
        if column == "nhsa_code":
            query = query.where(SUBJECT.kind == kind)
        if exclude_id is not None:
            query = query.where(SUBJECT.id != exclude_id)
        found = (await session.execute(query.limit(1))).scalar_one_or_none()
        if found is not None:
            return column, int(found)
    return None


async def ids_holding(
    session: AsyncSession, column: str, values: Collection[str], *, kind: str | None = None
) -> dict[str, int]:
    """Which of `values` a unique column already holds, and the subject holding each."""
    if not values:
        return {}
    query = select(SUBJECT[column], SUBJECT.id).where(SUBJECT[column].in_(list(values)))
    if kind is not None:
        query = query.where(SUBJECT.kind == kind)
    return {str(value): int(found) for value, found in (await session.execute(query)).all()}


@dataclass(frozen=True, slots=True)
class SubjectFilter:
    """Search criteria; identifier values are already normalised and hashed where personal."""

    name_contains: str | None = None
    kind: str | None = None
    region_prefix: str | None = None
    uscc_or_nhsa: str | None = None
    resident_id_hash: str | None = None
    insurance_no_hash: str | None = None


def conditions(criteria: SubjectFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if criteria.name_contains:
        conditions.append(SUBJECT.name.icontains(criteria.name_contains, autoescape=True))
    if criteria.kind:
        conditions.append(SUBJECT.kind == criteria.kind)
    if criteria.region_prefix:
        conditions.append(SUBJECT.region_code.startswith(criteria.region_prefix, autoescape=True))
    identifier_matches = []
    if criteria.uscc_or_nhsa:
        identifier_matches += [
            SUBJECT.uscc == criteria.uscc_or_nhsa,
            SUBJECT.nhsa_code == criteria.uscc_or_nhsa,
        ]
    if criteria.resident_id_hash:
        identifier_matches.append(SUBJECT.resident_id_hash == criteria.resident_id_hash)
    if criteria.insurance_no_hash:
        identifier_matches.append(SUBJECT.insurance_no_hash == criteria.insurance_no_hash)
    if identifier_matches:
        conditions.append(or_(*identifier_matches))
    return conditions


async def search(
    session: AsyncSession, criteria: SubjectFilter, *, after_id: int | None, limit: int
) -> Sequence[Subject]:
    """Subjects matching every criterion, in id order, after `after_id`."""
    if after_id is not None and after_id >= ID_MAX:
        return []
    query = select(Subject).where(*conditions(criteria)).order_by(SUBJECT.id).limit(limit)
    if after_id is not None:
        query = query.where(SUBJECT.id > after_id)
    return (await session.execute(query)).scalars().all()


async def insert_subjects(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many subjects in one executemany; the new ids come back in the rows' order."""
    statement = insert(SUBJECT_TABLE).returning(SUBJECT.id, sort_by_parameter_order=True)
    result = await session.execute(statement, list(rows))
    return [int(row_id) for row_id in result.scalars().all()]


async def site_by_id(session: AsyncSession, site_id: int) -> PracticeSite | None:
    return await session.get(PracticeSite, site_id) if _valid_id(site_id) else None


def _current(on: date) -> ColumnElement[bool]:
    return and_(SITE.started_on <= on, or_(SITE.ended_on.is_(None), SITE.ended_on >= on))


async def open_site(
    session: AsyncSession, person_id: int, institution_id: int, role: str
) -> PracticeSite | None:
    """The site of this person, institution and role that has no end date, if any."""
    query = select(PracticeSite).where(
        SITE.person_id == person_id,
        SITE.institution_id == institution_id,
        SITE.role == role,
        SITE.ended_on.is_(None),
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def practises_at(
    session: AsyncSession, person_id: int, institution_id: int, on: date
) -> bool:
    query = select(SITE.id).where(
        SITE.person_id == person_id, SITE.institution_id == institution_id, _current(on)
    )
    return (await session.execute(query.limit(1))).first() is not None


@dataclass(frozen=True, slots=True)
class SiteRow:
    site: PracticeSite
    person_name: str
    institution_name: str


async def sites(
    session: AsyncSession,
    *,
    person_id: int | None = None,
    institution_id: int | None = None,
    current_on: date | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[SiteRow]:
    """Practice sites of a person or of an institution, with both parties' names, in id order."""
    if after_id is not None and after_id >= ID_MAX:
        return []
    person, institution = aliased(Subject), aliased(Subject)
    query = (
        select(PracticeSite, col(person.name), col(institution.name))
        .join(person, col(person.id) == SITE.person_id)
        .join(institution, col(institution.id) == SITE.institution_id)
        .where(
            SITE.person_id == person_id if person_id is not None else true(),
            SITE.institution_id == institution_id if institution_id is not None else true(),
            _current(current_on) if current_on is not None else true(),
            SITE.id > after_id if after_id is not None else true(),
        )
        .order_by(SITE.id)
        .limit(limit)
    )
    return [SiteRow(site, p, i) for site, p, i in (await session.execute(query)).all()]


async def kinds_of(session: AsyncSession, subject_ids: Collection[int]) -> dict[int, str]:
    """The kind of each listed subject that exists."""
    if not subject_ids:
        return {}
    query = select(SUBJECT.id, SUBJECT.kind).where(SUBJECT.id.in_(list(subject_ids)))
    return {int(subject_id): str(kind) for subject_id, kind in (await session.execute(query)).all()}


async def insert_sites(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many practice sites in one executemany."""
    await session.execute(insert(PRACTICE_SITE_TABLE), list(rows))
