"""What the public may read of the lists: published blacklist and red-list entries in force,
searched by name or identifier, with personal identifiers masked (DESIGN 5, 11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.kernel.errors import NotFound
from credit.lists import repository
from credit.lists.feed import PUBLIC_LISTS
from credit.lists.models import EntryStatus, ListEntry
from credit.policy.lists import ListCriterion
from credit.policy.regime import national_rules
from credit.policy.vocabulary import ListName
from credit.subjects.models import Subject
from credit.subjects.pii import PersonalIdentifiers
from credit.subjects.search import name_or_identifier

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class PublicEntry:
    """An entry as the public sees it: no sealed or hashed identifier, only masks."""

    entry_id: int
    list_name: str
    subject_name: str
    subject_kind: str
    region_code: str | None
    uscc: str | None  # an organisation's code is public by law
    nhsa_code: str | None
    resident_id_masked: str | None
    criterion_code: str
    criterion_zh: str
    criterion_en: str
    reasons: list[str]
    legal_basis: str
    documents: list[str]
    decided_on: date | None
    valid_from: date | None
    valid_until: date | None
    under_objection: bool


@dataclass(frozen=True, slots=True)
class PublicPage:
    entries: list[PublicEntry]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def public_list(value: str) -> ListName:
    """The list named in a public address: only the blacklist and the red list are published."""
    try:
        name = ListName(value)
    except ValueError:
        name = None
    if name not in PUBLIC_LISTS:
        raise NotFound(f"no published list {value}", field="list", rule="public_list")
    assert name is not None
    return name


def _in_force(list_name: ListName, on: date) -> tuple[ColumnElement[bool], ...]:
    return (
        col(ListEntry.list_name) == str(list_name),
        col(ListEntry.status) == str(EntryStatus.PUBLISHED),
        col(ListEntry.valid_from) <= on,
        col(ListEntry.valid_until) >= on,
    )


async def published(
    session: AsyncSession,
    pii: PersonalIdentifiers,
    list_name: ListName,
    on: date,
    *,
    text: str = "",
    page: int = 1,
    size: int = 20,
) -> PublicPage:
    """A page of the entries in force on `on`, newest first, matching `text` when given."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    query = (
        select(ListEntry, Subject)
        .join(Subject, col(Subject.id) == col(ListEntry.subject_id))
        .where(*_in_force(list_name, on))
    )
    if text.strip():
        query = query.where(name_or_identifier(pii, text.strip()))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar()
    rows = await session.execute(
        query.order_by(col(ListEntry.valid_from).desc(), col(ListEntry.id).desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    criteria = await _criteria(session, list_name, on)
    entries = [_public(entry, subject, criteria, []) for entry, subject in rows.all()]
    return PublicPage(entries=entries, total=int(total or 0), page=page, size=size)


async def published_entry(
    session: AsyncSession, list_name: ListName, entry_id: int, on: date
) -> PublicEntry:
    """One entry in force on `on`; anything else (not published, ended, another list) is 404."""
    row = (
        await session.execute(
            select(ListEntry, Subject)
            .join(Subject, col(Subject.id) == col(ListEntry.subject_id))
            .where(col(ListEntry.id) == entry_id, *_in_force(list_name, on))
        )
    ).first()
    if row is None:
        raise NotFound(f"no published entry {entry_id} on the {list_name} list", field="entry_id")
    entry, subject = row
    documents = [
        document
        for event in await repository.events_of(session, entry_id)
        for document in event.documents
    ]
    criteria = await _criteria(session, list_name, on)
    return _public(entry, subject, criteria, list(dict.fromkeys(documents)))


async def counts(session: AsyncSession, on: date) -> dict[str, int]:
    """Entries in force on `on` per published list."""
    found: dict[str, int] = {}
    for list_name in sorted(PUBLIC_LISTS):
        query = select(func.count()).select_from(ListEntry).where(*_in_force(list_name, on))
        found[str(list_name)] = int((await session.execute(query)).scalar() or 0)
    return found


async def _criteria(
    session: AsyncSession, list_name: ListName, on: date
) -> dict[str, ListCriterion]:
    try:
        rules = await national_rules(session, on)
    except NotFound:
        return {}
    return {criterion.code: criterion for criterion in rules.pack.lists.of(list_name).criteria}


def _public(
    entry: ListEntry, subject: Subject, criteria: dict[str, ListCriterion], documents: list[str]
) -> PublicEntry:
    assert entry.id is not None
    criterion = criteria.get(entry.criterion_code)
    return PublicEntry(
        entry_id=entry.id,
        list_name=entry.list_name,
        subject_name=subject.name,
        subject_kind=subject.kind,
        region_code=subject.region_code,
        uscc=subject.uscc,
        nhsa_code=subject.nhsa_code,
        resident_id_masked=subject.resident_id_masked,
        criterion_code=entry.criterion_code,
        criterion_zh=criterion.zh if criterion else entry.criterion_code,
        criterion_en=criterion.en if criterion else entry.criterion_code,
        reasons=list(entry.reasons),
        legal_basis=entry.legal_basis,
        documents=documents,
        decided_on=entry.decided_on,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        under_objection=entry.under_objection,
    )
