"""The notice (告知书) served before a blacklist decision, as a printable HTML document.

It names the facts, the criterion and legal basis, the intended listing and its period, and the
subject's right to state and defend within the pack's working days, with the last day as a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.clock import business_date
from credit.kernel.errors import Conflict
from credit.lists import repository
from credit.lists.models import ListEntry
from credit.policy.regime import national_of
from credit.policy.service import get_version
from credit.policy.vocabulary import ListName
from credit.subjects.kinds import Party, get_kind
from credit.subjects.service import get_subject

TITLE = "严重失信主体名单列入告知书"
LIST_TITLE = "医疗保障领域严重失信主体名单"
AUTHORITY = "医疗保障行政部门"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("credit.lists", "."),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=False,
    )


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    id: int
    item_code: str
    document_no: str | None
    decided_on: date


async def render_notice(session: AsyncSession, entry: ListEntry) -> str:
    """The notice of a served blacklist entry; 409 for an entry that has no notice."""
    if entry.list_name != ListName.BLACK or entry.notice_deadline is None:
        raise Conflict(
            f"{entry.list_name} list entry {entry.id} has no notice: notices are served for "
            "blacklist entries from the `notified` step on",
            field="status",
            rule="no_notice",
            extra={"current_status": entry.status},
        )
    subject = await get_subject(session, entry.subject_id)
    pack = national_of(await get_version(session, entry.pack_version_id))
    black = pack.lists.black
    criterion = black.criterion(entry.criterion_code)
    records = [
        NoticeRecord(*row) for row in await repository.record_documents(session, entry.record_ids)
    ]
    organisation = get_kind(subject.kind).party is Party.ORGANISATION
    identifiers = " / ".join(
        value
        for value in (subject.uscc, subject.nhsa_code, subject.resident_id_masked)
        if value is not None
    )
    notified_on = business_date(entry.disclosed_at or entry.proposed_at)
    return (
        _environment()
        .get_template("notice.html")
        .render(
            title=TITLE,
            list_title=LIST_TITLE,
            entry_number=f"BLK-{entry.id:08d}",
            subject=subject,
            identifiers=identifiers,
            organisation=organisation,
            criterion_code=entry.criterion_code,
            criterion_zh=criterion.zh if criterion else entry.criterion_code,
            reasons=entry.reasons,
            records=records,
            legal_basis=entry.legal_basis,
            validity_years=black.validity_years,
            working_days=black.notice_working_days,
            deadline=entry.notice_deadline.isoformat(),
            deadline_exact=entry.notice_deadline_exact,
            authority=AUTHORITY,
            issued_on=notified_on.isoformat(),
        )
    )
