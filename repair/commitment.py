"""The repair commitment (信用修复承诺书) the subject signs and uploads, as printable HTML."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.clock import business_today
from credit.lists import repository as lists
from credit.policy.regime import national_of
from credit.policy.service import get_version
from credit.records import repository as records
from credit.subjects.kinds import Party, get_kind
from credit.subjects.service import get_subject
from repair.models import Repair, RepairTarget

TITLE = "信用修复承诺书"
AUTHORITY = "医疗保障行政部门"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("repair", "."),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )


async def _target_rows(session: AsyncSession, repair: Repair) -> tuple[list[tuple[str, str]], str]:
    """What is repaired, as rows of the letter's table, and the legal basis it rests on."""
    if RepairTarget(repair.target_type) is RepairTarget.RECORD:
        revision = await records.current_revision(session, repair.target_id)
        assert revision is not None
        return [
            ("记录编号 Record", str(repair.target_id)),
            ("信息项 Item", revision.item_code),
            ("决定文书号 Document", revision.document_no or "—"),
            ("决定日期 Decided", revision.decided_on.isoformat()),
            (
                "公示期 Publication",
                f"{revision.publish_from} — {revision.publish_until}"
                if revision.publish_until
                else "—",
            ),
        ], revision.legal_basis or "《医疗保障基金使用监督管理条例》"
    entry = await lists.get(session, repair.target_id)
    assert entry is not None
    return [
        ("名单 List", entry.list_name),
        ("条目编号 Entry", str(entry.id)),
        ("认定标准 Criterion", entry.criterion_code),
        ("有效期 Valid", f"{entry.valid_from} — {entry.valid_until}"),
    ], entry.legal_basis or "—"


async def render(session: AsyncSession, repair: Repair) -> str:
    """The letter for a filed request, with its facts and the limits of the pack it is under."""
    subject = await get_subject(session, repair.subject_id)
    version = await get_version(session, repair.pack_version_id)
    rules = national_of(version).remedies.repair
    rows, legal_basis = await _target_rows(session, repair)
    identifiers = " / ".join(
        value
        for value in (subject.uscc, subject.nhsa_code, subject.resident_id_masked)
        if value is not None
    )
    return (
        _environment()
        .get_template("commitment.html")
        .render(
            title=TITLE,
            number=f"XF-{repair.id:08d}",
            authority=AUTHORITY,
            subject=subject,
            identifiers=identifiers,
            organisation=get_kind(subject.kind).party is Party.ORGANISATION,
            target_type=repair.target_type,
            target_rows=rows,
            statement=repair.statement,
            legal_basis=legal_basis,
            pack_code=version.code,
            pack_version=version.version,
            decide_within=rules.decide_within_working_days,
            clean_months=rules.clean_months,
            min_months_since_last_repair=rules.min_months_since_last_repair,
            window_years=rules.window_years,
            max_repairs=rules.max_repairs_in_window,
            generated_on=business_today().isoformat(),
        )
    )
