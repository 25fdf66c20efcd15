"""Demo list entries: every state of every list's procedure, with dates that make sense today.

Entries are walked through the real procedure (`credit.lists.steps`) by a demo officer and a
demo reviewer, with each step's business date set back in time, so periods, validity and the
change log read as they would after weeks of real work. The demo hospital's account finds a
served notice whose defence period is still running.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from credit.kernel.actor import Actor, Role
from credit.kernel.clock import business_today
from credit.lists import defence, repository, service, steps
from credit.lists.models import EntryStatus, RemovalReason
from credit.lists.schemas import DefenceInput, ListEntryCreate, TransitionInput
from credit.policy.vocabulary import ListName
from credit.subjects.models import Subject

OFFICER = Actor(role=Role.OFFICER, name="demo-officer")
REVIEWER = Actor(role=Role.REVIEWER, name="demo-reviewer")
S = EntryStatus
# Each plan: the steps and how many days ago each was taken; three weeks or more between a
# publicity and its publication, so a holiday week inside five working days still fits.
BLACK_PLANS: dict[str, list[tuple[EntryStatus, int]]] = {
    "proposed": [],
    "notified": [(S.NOTIFIED, 1)],
    "decided": [(S.NOTIFIED, 30), (S.DECIDED, 18)],
    "publicity": [(S.NOTIFIED, 30), (S.DECIDED, 18), (S.PUBLICITY, 1)],
    "published": [(S.NOTIFIED, 90), (S.DECIDED, 75), (S.PUBLICITY, 74), (S.PUBLISHED, 50)],
    "removed": [
        (S.NOTIFIED, 400),
        (S.DECIDED, 385),
        (S.PUBLICITY, 384),
        (S.PUBLISHED, 360),
        (S.REMOVED, 10),
    ],
    "dropped": [(S.NOTIFIED, 40), (S.DROPPED, 25)],
}
FOCUS_PLANS = {
    "proposed": [],
    "approved": [(S.APPROVED, 2)],
    "listed": [(S.APPROVED, 40), (S.LISTED, 35)],
    "removed": [(S.APPROVED, 200), (S.LISTED, 190), (S.REMOVED, 20)],
    "dropped": [(S.DROPPED, 15)],
}
RED_PLANS = {
    "candidate": [],
    "approved": [(S.APPROVED, 2)],
    "publicity": [(S.APPROVED, 5), (S.PUBLICITY, 1)],
    "published": [(S.APPROVED, 60), (S.PUBLICITY, 59), (S.PUBLISHED, 35)],
    "removed": [(S.APPROVED, 300), (S.PUBLICITY, 299), (S.PUBLISHED, 270), (S.REMOVED, 30)],
    "dropped": [(S.DROPPED, 10)],
}
PLANS = {ListName.BLACK: BLACK_PLANS, ListName.FOCUS: FOCUS_PLANS, ListName.RED: RED_PLANS}
CRITERIA = {
    ListName.BLACK: ("BLK-FUND-LOSS", "经查，违规结算造成医保基金损失人民币62.4万元"),
    ListName.FOCUS: ("FOC-GRADE", "2025年度信用评价等级为C级"),
    ListName.RED: ("RED-GRADE-A", "连续两个评价周期信用评价等级为A级，期间无失信记录"),
}
REMOVAL = {
    ListName.BLACK: RemovalReason.REPAIRED,
    ListName.FOCUS: RemovalReason.REPAIRED,
    ListName.RED: RemovalReason.REVOKED,
}


async def _institutions(session: AsyncSession, count: int) -> list[int]:
    query = (
        select(col(Subject.id))
        .where(col(Subject.kind).in_(["medical_institution", "retail_pharmacy"]))
        .order_by(col(Subject.id).desc())
        .limit(count)
    )
    return [value for value in (await session.execute(query)).scalars() if value is not None]


def _step(to: EntryStatus, list_name: ListName) -> TransitionInput:
    removal = REMOVAL[list_name] if to is S.REMOVED else None
    return TransitionInput(
        to=to,
        reason="演示：依程序办理",
        documents=["湘医保信〔2026〕演示号"] if to in (S.DECIDED, S.APPROVED) else [],
        defence_considered="当事人陈述申辩已审查，不予采纳" if to is S.DECIDED else None,
        removal_reason=removal,
    )


async def _walk(
    session: AsyncSession, list_name: ListName, entry_id: int, plan: list[tuple[S, int]]
) -> None:
    today = business_today()
    for to, days_ago in plan:
        day: date = today - timedelta(days=days_ago)
        actor = OFFICER if to in (S.NOTIFIED, S.PUBLICITY) else REVIEWER
        if to is S.DECIDED:
            entry = await service.get_entry(session, list_name, entry_id)
            if entry.notice_deadline is not None and not await repository.defences_of(
                session, entry_id
            ):
                await defence.submit_defence(
                    session,
                    OFFICER,
                    list_name,
                    entry_id,
                    DefenceInput(statement="当事人书面陈述：已退回全部违规费用，请求从轻处理。"),
                    today=entry.notice_deadline,
                )
        await steps.move(session, actor, list_name, entry_id, _step(to, list_name), today=day)


async def load_list_entries(session: AsyncSession, *, hospital_id: int) -> dict[str, int]:
    """Entries in every state of every list; counts per `list:status`."""
    pool = [value for value in await _institutions(session, 60) if value != hospital_id]
    made: dict[str, int] = {}
    for list_name, plans in PLANS.items():
        code, reason = CRITERIA[list_name]
        # A small demo province may run out of subjects: the first states come first.
        free = [
            subject_id
            for subject_id in pool
            if await repository.open_entry(session, list_name, subject_id) is None
        ]
        for (status, plan), subject_id in zip(plans.items(), free, strict=False):
            entry = await service.propose(
                session,
                OFFICER,
                list_name,
                ListEntryCreate(subject_id=subject_id, criterion_code=code, reasons=[reason]),
            )
            assert entry.id is not None
            await _walk(session, list_name, entry.id, plan)
            made[f"{list_name}:{status}"] = 1
    await _serve_demo_hospital(session, hospital_id)
    return made


async def _serve_demo_hospital(session: AsyncSession, hospital_id: int) -> None:
    """The demo hospital's login finds a notice it can still answer."""
    entry = await repository.open_entry(session, ListName.BLACK, hospital_id)
    if entry is None:
        code, reason = CRITERIA[ListName.BLACK]
        entry = await service.propose(
            session,
            OFFICER,
            ListName.BLACK,
            ListEntryCreate(subject_id=hospital_id, criterion_code=code, reasons=[reason]),
        )
    if entry.status == S.PROPOSED:
        assert entry.id is not None
        await steps.move(session, OFFICER, ListName.BLACK, entry.id, TransitionInput(to=S.NOTIFIED))
