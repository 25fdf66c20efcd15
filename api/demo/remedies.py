"""Demo objections and repairs: every state of both procedures, some near their deadline, one
overdue (escalated by the deadline sweep).

Cases are filed and moved through the real services by the demo accounts, with business dates set
back so the deadlines read as they would after days of real work. Objections dispute the demo
hospital's records first, so its login finds them; repairs take records the pack lets be repaired
today (the eligibility check picks them), with the signed commitment and proof of payment as
small PDF files under the evidence directory.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.accounts.repository import account_by_username
from credit.accounts.service import actor_of
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today
from credit.policy.vocabulary import FAVOURABLE_CATEGORIES
from credit.records.models import RecordRevision, RecordStatus
from repair import eligibility, evidence, objections, repairs
from repair.models import EvidencePurpose, Repair, RepairTarget
from repair.schemas import ObjectionCreate, ObjectionTransition, RepairCreate, RepairTransition
from repair.sweep import sweep_deadlines

# Each objection plan: days since it was filed, then (step, days ago, reason).
OBJECTION_PLANS: dict[str, tuple[int, list[tuple[str, int, str | None]]]] = {
    "submitted_near_deadline": (1, []),
    "submitted_overdue": (12, []),
    "accepted": (6, [("accepted", 5, None)]),
    "not_accepted": (20, [("not_accepted", 19, "异议事项不属于本机关管辖范围")]),
    "under_review": (9, [("accepted", 8, None), ("under_review", 7, None)]),
    "under_review_extended": (
        25,
        [
            ("accepted", 24, None),
            ("under_review", 23, None),
            ("extended", 10, "需调取医院原始病历"),
        ],
    ),
    "dismissed": (
        30,
        [
            ("accepted", 29, None),
            ("under_review", 28, None),
            ("dismissed", 20, "原处罚决定事实清楚、证据确凿"),
        ],
    ),
    "partly_upheld": (
        35,
        [
            ("accepted", 34, None),
            ("under_review", 33, None),
            ("partly_upheld", 25, "罚款金额计算有误，予以更正"),
        ],
    ),
    "upheld": (
        40,
        [
            ("accepted", 39, None),
            ("under_review", 38, None),
            ("upheld", 30, "原处罚决定已被行政复议撤销"),
        ],
    ),
}
REPAIR_PLANS: dict[str, tuple[int, list[tuple[str, int, str | None]]]] = {
    "submitted": (1, []),
    "not_accepted": (15, [("not_accepted", 14, "未提交罚款缴纳凭证")]),
    "accepted": (5, [("accepted", 4, None)]),
    "under_review_near_deadline": (20, [("accepted", 19, None), ("under_review", 18, None)]),
    "approved": (
        30,
        [
            ("accepted", 29, None),
            ("under_review", 28, None),
            ("approved", 10, "整改到位，同意修复"),
        ],
    ),
    "rejected": (
        30,
        [("accepted", 29, None), ("under_review", 27, None), ("rejected", 12, "整改材料不实")],
    ),
}
GROUNDS = "该处罚决定已于复议中被撤销，相关证据见附件；请求撤销该失信记录。"
STATEMENT = "已全额退回违规结算费用并缴纳罚款，完成全院医保政策培训和自查整改。"
DEMO_PDF = b"%PDF-1.4\n% medcredit demo document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Steps a reviewer takes; the others are the officer's.
DECIDING = {"upheld", "partly_upheld", "dismissed", "approved", "rejected"}


async def _actor(session: AsyncSession, username: str) -> Actor:
    account = await account_by_username(session, username)
    assert account is not None, f"the demo account {username} is created first"
    return actor_of(account)


async def _disputable(session: AsyncSession, hospital_id: int, today: date) -> list[RecordRevision]:
    """Current negative records still published, the demo hospital's first, one per subject."""
    query = (
        select(RecordRevision)
        .where(
            col(RecordRevision.known_until).is_(None),
            col(RecordRevision.status) == str(RecordStatus.ACTIVE),
            col(RecordRevision.category).not_in([str(c) for c in FAVOURABLE_CATEGORIES]),
            col(RecordRevision.publish_until) >= today,
            # Filed weeks ago: the decision came before the oldest demo case.
            col(RecordRevision.decided_on) <= today - timedelta(days=60),
        )
        .order_by(col(RecordRevision.record_id))
    )
    found = list((await session.execute(query)).scalars())
    found.sort(key=lambda r: r.subject_id != hospital_id)
    return found


def _written(directory: Path, purpose: EvidencePurpose) -> Path:
    """A small PDF standing for a scanned document, received as an upload would be."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".pdf", delete=False) as handle:
        handle.write(DEMO_PDF + purpose.value.encode())
    return Path(handle.name)


async def _document(
    session: AsyncSession, actor: Actor, repair: Repair, purpose: EvidencePurpose, directory: Path
) -> None:
    await evidence.attach(
        session,
        actor,
        repair,
        purpose,
        _written(directory, purpose),
        file_name=f"{purpose.value}.pdf",
        declared_type="application/pdf",
        directory=directory,
        max_bytes=1024 * 1024,
    )


def _subject(subject_id: int) -> Actor:
    return Actor(role=Role.SUBJECT, name=f"demo-subject-{subject_id}", subject_id=subject_id)


async def _objections(
    session: AsyncSession, people: dict[str, Actor], pool: list[RecordRevision], today: date
) -> dict[str, int]:
    made: dict[str, int] = {}
    used: set[int] = set()
    for (state, (filed_ago, steps)), revision in zip(OBJECTION_PLANS.items(), pool, strict=False):
        used.add(revision.record_id)
        objection = await objections.file(
            session,
            _subject(revision.subject_id),
            ObjectionCreate(
                target_type="record",
                target_id=revision.record_id,
                grounds=GROUNDS,
            ),
            today=today - timedelta(days=filed_ago),
        )
        assert objection.id is not None
        handlers = iter((people["officer"], people["officer2"]))
        for to, days_ago, reason in steps:
            actor = people["reviewer2"] if to in DECIDING else next(handlers, people["officer"])
            corrections = None
            if to == "partly_upheld":
                corrections = {"document_no": f"{revision.document_no or '湘医保罚'}（更正）"}
                if revision.fine_amount:
                    half = (revision.fine_amount / 2).quantize(Decimal("0.01"))
                    corrections = {"fine_amount": str(half)}
            step = ObjectionTransition.model_validate(
                {"to": to, "reason": reason, "corrections": corrections}
            )
            await objections.move(
                session, actor, objection.id, step, today=today - timedelta(days=days_ago)
            )
        made[f"objection:{state}"] = 1
    return made


async def _repairable(
    session: AsyncSession, pool: list[RecordRevision], today: date, wanted: int
) -> list[RecordRevision]:
    found: list[RecordRevision] = []
    subjects: set[int] = set()
    for revision in pool:
        if revision.subject_id in subjects:
            continue
        assessed = await eligibility.assess(
            session, RepairTarget.RECORD, revision.record_id, today=today - timedelta(days=30)
        )
        if assessed.eligible:
            found.append(revision)
            subjects.add(revision.subject_id)
        if len(found) == wanted:
            break
    return found


async def _repairs(
    session: AsyncSession,
    people: dict[str, Actor],
    pool: list[RecordRevision],
    today: date,
    directory: Path,
) -> dict[str, int]:
    made: dict[str, int] = {}
    for (state, (filed_ago, steps)), revision in zip(REPAIR_PLANS.items(), pool, strict=False):
        subject = _subject(revision.subject_id)
        repair = await repairs.file(
            session,
            subject,
            RepairCreate(target_type="record", target_id=revision.record_id, statement=STATEMENT),
            today=today - timedelta(days=filed_ago),
        )
        assert repair.id is not None
        if state != "not_accepted":
            for purpose in (EvidencePurpose.COMMITMENT, EvidencePurpose.OBLIGATION):
                await _document(session, subject, repair, purpose, directory)
        for to, days_ago, reason in steps:
            actor = people["reviewer2"] if to in DECIDING else people["officer"]
            step = RepairTransition.model_validate({"to": to, "reason": reason})
            await repairs.move(
                session, actor, repair.id, step, today=today - timedelta(days=days_ago)
            )
        made[f"repair:{state}"] = 1
    return made


async def load_remedies(
    session: AsyncSession, *, hospital_id: int, evidence_dir: Path | None = None
) -> dict[str, int]:
    """Objections and repairs in every state; counts per `kind:state`."""
    today = business_today()
    directory = evidence_dir or Path(tempfile.gettempdir()) / "medcredit-demo-evidence"
    people = {
        "officer": await _actor(session, "demo.officer"),
        "officer2": await _actor(session, "demo.admin"),
        "reviewer2": await _actor(session, "demo.reviewer2"),
    }
    pool = await _disputable(session, hospital_id, today)
    # Repairs need records the pack lets be repaired: they choose first; objections dispute
    # the rest (the demo hospital's first), none on a subject asking for a repair.
    chosen = await _repairable(session, pool, today, len(REPAIR_PLANS))
    made = await _repairs(session, people, chosen, today, directory)
    repairing = {revision.subject_id for revision in chosen}
    rest = [revision for revision in pool if revision.subject_id not in repairing]
    made |= await _objections(session, people, rest, today)
    await sweep_deadlines(session, today)  # the overdue objection is escalated, reminders sent
    return made
