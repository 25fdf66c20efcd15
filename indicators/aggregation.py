"""The set-based part of an evaluation: per chunk of subjects and kind, one pass over records.

The revisions known at `as_of` are read once, grouped by subject, with a conditional count, sum
and id list per indicator (`count(CASE WHEN … THEN 1 END)`); metric indicators read the cycle's
metrics in one more statement (their branches joined with UNION ALL). A chunk costs at most two
round trips whatever the number of indicators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from credit.metrics.models import SUBJECT_METRIC_TABLE
from credit.records.models import RecordStatus
from credit.records.repository import REVISION, known_at
from credit.subjects.models import SUBJECT_TABLE
from indicators.cycles import Cycle
from indicators.rules import MetricThreshold, RecordMatch, SetDocument

SUBJECT = SUBJECT_TABLE.c
METRIC = SUBJECT_METRIC_TABLE.c

# A revoked record is as if never decided; a repaired one no longer counts against the subject
# (the repair policy takes effect at once). Corrected and expired records still happened.
COUNTED_STATUSES = tuple(
    str(status)
    for status in (
        RecordStatus.ACTIVE,
        RecordStatus.UNDER_OBJECTION,
        RecordStatus.CORRECTED,
        RecordStatus.EXPIRED,
    )
)


@dataclass(frozen=True, slots=True)
class ScopedSubject:
    id: int
    kind: str
    designated_on: date | None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """What one indicator found for one subject: records counted, their amount, their ids."""

    count: int
    amount_fen: int  # sum of amounts involved; for a metric, its worst value in millionths
    record_ids: tuple[int, ...]


def _region_condition(regions: Sequence[str]) -> ColumnElement[bool] | None:
    """A province (430000) or prefecture (430100) code covers every division inside it."""
    if not regions:
        return None
    prefixes = [region.rstrip("0") if region.endswith("00") else region for region in regions]
    return or_(*(SUBJECT.region_code.like(f"{prefix}%") for prefix in prefixes))


def _changed_between(since: datetime, as_of: datetime) -> ColumnElement[bool]:
    """A record revision or a metric of the subject became known after `since`."""
    revised = select(REVISION.record_id).where(
        REVISION.subject_id == SUBJECT.id,
        REVISION.known_from > since,
        REVISION.known_from <= as_of,
    )
    measured = select(METRIC.id).where(
        METRIC.subject_id == SUBJECT.id,
        METRIC.recorded_at > since,
        METRIC.recorded_at <= as_of,
    )
    return revised.exists() | measured.exists()


def _scope(
    kinds: Sequence[str],
    regions: Sequence[str],
    as_of: datetime,
    changed_since: datetime | None = None,
) -> list[Any]:
    conditions: list[Any] = [SUBJECT.kind.in_(list(kinds)), SUBJECT.created_at <= as_of]
    region = _region_condition(regions)
    if region is not None:
        conditions.append(region)
    if changed_since is not None:
        conditions.append(_changed_between(changed_since, as_of))
    return conditions


async def count_scope(
    session: AsyncSession,
    kinds: Sequence[str],
    regions: Sequence[str],
    as_of: datetime,
    changed_since: datetime | None = None,
) -> int:
    conditions = _scope(kinds, regions, as_of, changed_since)
    query = select(func.count()).select_from(SUBJECT_TABLE).where(*conditions)
    return int((await session.execute(query)).scalar_one())


async def scope_chunk(
    session: AsyncSession,
    kinds: Sequence[str],
    regions: Sequence[str],
    as_of: datetime,
    *,
    after_id: int,
    size: int,
    changed_since: datetime | None = None,
) -> list[ScopedSubject]:
    """The next `size` subjects in scope by id (keyset pagination keeps every chunk cheap)."""
    query = (
        select(SUBJECT.id, SUBJECT.kind, SUBJECT.designated_on)
        .where(*_scope(kinds, regions, as_of, changed_since), SUBJECT.id > after_id)
        .order_by(SUBJECT.id)
        .limit(size)
    )
    rows = (await session.execute(query)).all()
    return [ScopedSubject(int(row.id), str(row.kind), row.designated_on) for row in rows]


def _matches(rule: RecordMatch, cycle: Cycle) -> ColumnElement[bool]:
    conditions = [REVISION.decided_on >= cycle.window_start(rule.window_months)]
    if rule.item_codes:
        conditions.append(REVISION.item_code.in_(rule.item_codes))
    if rule.categories:
        conditions.append(REVISION.category.in_([str(value) for value in rule.categories]))
    if rule.severities:
        conditions.append(REVISION.severity.in_([str(value) for value in rule.severities]))
    return and_(*conditions)


def _record_pass(
    rules: Sequence[tuple[str, RecordMatch]], cycle: Cycle, scope: list[ColumnElement[bool]]
) -> Select[Any]:
    """One pass over the chunk's revisions: per indicator a conditional count, amount and ids."""
    amount = func.coalesce(type_coerce(REVISION.amount_involved, BigInteger), 0)
    record_id = cast(REVISION.record_id, String)
    columns: list[Any] = [REVISION.subject_id.label("subject_id")]
    for index, (_, rule) in enumerate(rules):
        hit = _matches(rule, cycle)
        columns += [
            func.count(case((hit, 1))).label(f"n{index}"),
            func.sum(case((hit, amount))).label(f"amount{index}"),
            func.aggregate_strings(case((hit, record_id)), ",").label(f"ids{index}"),
        ]
    earliest = min(cycle.window_start(rule.window_months) for _, rule in rules)
    return (
        select(*columns)
        .where(*scope, REVISION.decided_on >= earliest)
        .group_by(REVISION.subject_id)
    )


def _ids(text: str | None) -> tuple[int, ...]:
    return tuple(sorted(int(part) for part in text.split(","))) if text else ()


def _metric_branch(
    code: str, rule: MetricThreshold, cycle: Cycle, lo: int, hi: int, as_of: datetime
) -> Select[Any]:
    column = type_coerce(METRIC[str(rule.metric)], BigInteger)
    return (
        select(
            METRIC.subject_id.label("subject_id"),
            literal(code, String).label("indicator"),
            func.count().label("n"),
            func.max(column).label("amount"),
            cast(null(), String).label("ids"),
        )
        .where(
            METRIC.subject_id.between(lo, hi),
            METRIC.period_start >= cycle.start,
            METRIC.period_end <= cycle.end,
            METRIC.recorded_at <= as_of,
            column.is_not(None),
        )
        .group_by(METRIC.subject_id)
    )


async def aggregate_chunk(
    session: AsyncSession,
    document: SetDocument,
    subject_ids: Sequence[int],
    cycle: Cycle,
    as_of: datetime,
) -> dict[tuple[int, str], Aggregate]:
    """`{(subject id, indicator code): Aggregate}` for these subjects (all of one kind)."""
    lo, hi = min(subject_ids), max(subject_ids)
    # Subjects of other kinds inside the id range are dropped by the caller, which keeps the
    # statement free of long IN lists.
    scope = [
        REVISION.subject_id.between(lo, hi),
        known_at(as_of),
        REVISION.status.in_(COUNTED_STATUSES),
        REVISION.decided_on <= cycle.end,
    ]
    record_rules: list[tuple[str, RecordMatch]] = []
    metric_branches: list[Select[Any]] = []
    for _, indicator in document.indicators():
        rule = indicator.rule
        if isinstance(rule, RecordMatch):
            record_rules.append((indicator.code, rule))
        elif isinstance(rule, MetricThreshold):
            metric_branches.append(_metric_branch(indicator.code, rule, cycle, lo, hi, as_of))
    found: dict[tuple[int, str], Aggregate] = {}
    if record_rules:
        for row in (await session.execute(_record_pass(record_rules, cycle, scope))).all():
            subject_id = int(row.subject_id)
            for index, (code, _) in enumerate(record_rules):
                count = int(row[1 + 3 * index])
                if count:
                    found[(subject_id, code)] = Aggregate(
                        count, int(row[2 + 3 * index] or 0), _ids(row[3 + 3 * index])
                    )
    if metric_branches:
        statement: Select[Any] | CompoundSelect = (
            metric_branches[0] if len(metric_branches) == 1 else union_all(*metric_branches)
        )
        for row in (await session.execute(statement)).all():
            found[(int(row.subject_id), str(row.indicator))] = Aggregate(
                int(row.n), int(row.amount or 0), ()
            )
    return found


async def earliest_knowledge(session: AsyncSession) -> datetime | None:
    """When the first record revision became known (None when there are no records)."""
    return (await session.execute(select(func.min(REVISION.known_from)))).scalar_one()
