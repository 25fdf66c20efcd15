"""Practice sites: which persons work at which institutions, in what role, from when to when."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.kernel.pagination import Page, check_limit, decode_cursor, encode_cursor
from credit.subjects import repository
from credit.subjects.access import readable_subject
from credit.subjects.kinds import get_kind
from credit.subjects.models import (
    PracticeRole,
    PracticeSite,
    PracticeSiteCreate,
    PracticeSitePublic,
    Subject,
)
from credit.subjects.repository import SiteRow
from credit.subjects.service import get_subject


async def _sides(
    session: AsyncSession, subject: Subject, new: PracticeSiteCreate
) -> tuple[Subject, Subject]:
    """(person, institution): the path subject is one side, the request names the other."""
    kind = get_kind(subject.kind)
    if kind.practises:
        own, other, other_kind = "person_id", "institution_id", "an institution"
    elif kind.hosts_practice:
        own, other, other_kind = "institution_id", "person_id", "a practising person"
    else:
        raise InvalidInput(
            f"a {kind.code} has no practice sites", field="subject_id", rule="not_for_kind"
        )
    if getattr(new, own) not in (None, subject.id):
        raise InvalidInput(
            f"{own} must be the subject in the path or be left out", field=own, rule="path_subject"
        )
    other_id = getattr(new, other)
    if other_id is None:
        raise InvalidInput(f"{other} is required", field=other, rule="required")
    counterpart = await get_subject(session, other_id, field=other)
    counterpart_kind = get_kind(counterpart.kind)
    fits = counterpart_kind.hosts_practice if kind.practises else counterpart_kind.practises
    if not fits:
        raise InvalidInput(
            f"{other} {other_id} is a {counterpart.kind}, not {other_kind}",
            field=other,
            rule="practice_party",
        )
    return (subject, counterpart) if kind.practises else (counterpart, subject)


async def add_practice_site(
    session: AsyncSession, actor: Actor, subject_id: int, new: PracticeSiteCreate
) -> SiteRow:
    """Record that a person practises at an institution; one open site per person, place, role."""
    subject = await get_subject(session, subject_id)
    person, institution = await _sides(session, subject, new)
    assert person.id is not None
    assert institution.id is not None
    started_on = new.started_on or business_today()
    if new.ended_on is not None and new.ended_on < started_on:
        raise InvalidInput("ended_on is before started_on", field="ended_on", rule="after_start")
    if new.ended_on is None:
        existing = await repository.open_site(session, person.id, institution.id, new.role)
        if existing is not None:
            raise Conflict(
                f"{person.name} already practises at {institution.name} as {new.role} "
                f"(site {existing.id})",
                field="role",
                rule="unique_open_site",
                extra={"existing_id": existing.id},
            )
    site = PracticeSite(
        person_id=person.id,
        institution_id=institution.id,
        role=str(new.role),
        started_on=started_on,
        ended_on=new.ended_on,
        created_at=utcnow(),
    )
    session.add(site)
    await session.flush()
    await audit.record(
        session,
        actor,
        "practice_site.add",
        "practice_site",
        site.id,
        {
            "person_id": person.id,
            "institution_id": institution.id,
            "role": site.role,
            "started_on": started_on,
            "ended_on": new.ended_on,
        },
    )
    return SiteRow(site, person.name, institution.name)


async def end_practice_site(
    session: AsyncSession, actor: Actor, subject_id: int, site_id: int, ended_on: date | None
) -> SiteRow:
    """Close a site on `ended_on` (its last day; today when not given)."""
    subject = await get_subject(session, subject_id)
    site = await repository.site_by_id(session, site_id)
    if site is None or subject.id not in (site.person_id, site.institution_id):
        raise NotFound(
            f"subject {subject_id} has no practice site {site_id}", field="site_id", rule="exists"
        )
    if site.ended_on is not None:
        raise Conflict(
            f"practice site {site_id} already ended on {site.ended_on}",
            field="site_id",
            rule="already_ended",
        )
    ended_on = ended_on or business_today()
    if ended_on < site.started_on:
        raise InvalidInput(
            f"ended_on is before the site started on {site.started_on}",
            field="ended_on",
            rule="after_start",
        )
    site.ended_on = ended_on
    session.add(site)
    await session.flush()
    await audit.record(
        session, actor, "practice_site.end", "practice_site", site.id, {"ended_on": ended_on}
    )
    person = await get_subject(session, site.person_id)
    institution = await get_subject(session, site.institution_id)
    return SiteRow(site, person.name, institution.name)


async def practice_sites(
    session: AsyncSession,
    actor: Actor,
    subject_id: int,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[SiteRow]:
    """A person's sites or an institution's staff (past and present), as `actor` may see them.

    An institution's account reading one of its staff sees only the sites at that institution.
    """
    subject = await readable_subject(session, actor, subject_id)
    viewer_elsewhere = actor.role is Role.SUBJECT and actor.subject_id != subject.id
    if get_kind(subject.kind).practises:
        person_id = subject.id
        institution_id = actor.subject_id if viewer_elsewhere else None
    else:
        person_id, institution_id = None, subject.id
    limit = check_limit(limit)
    rows = await repository.sites(
        session,
        person_id=person_id,
        institution_id=institution_id,
        after_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    last_id = rows[limit - 1].site.id if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=encode_cursor(last_id) if last_id else None)


async def staff_of(
    session: AsyncSession, institution_id: int, *, on: date | None = None
) -> list[SiteRow]:
    """The persons practising at an institution on a date (today by default)."""
    return await repository.sites(
        session, institution_id=institution_id, current_on=on or business_today()
    )


def public_site(row: SiteRow, today: date | None = None) -> PracticeSitePublic:
    site, today = row.site, today or business_today()
    assert site.id is not None
    return PracticeSitePublic(
        id=site.id,
        person_id=site.person_id,
        person_name=row.person_name,
        institution_id=site.institution_id,
        institution_name=row.institution_name,
        role=PracticeRole(site.role),
        started_on=site.started_on,
        ended_on=site.ended_on,
        current=site.started_on <= today and (site.ended_on is None or site.ended_on >= today),
    )
