"""The set-based part of an evaluation: one pass over records, grouped by subject.

The revisions known at `as_of` are read once, each marked with the indicators it counts for and
grouped by subject (`indicators.record_pass`); metric indicators read the cycle's metrics in one
more statement per chunk (their branches joined with UNION ALL).

A run reads the record pass of a whole kind as one statement ordered by subject (`RecordStream`),
fetched chunk by chunk alongside the subjects in scope: a subject's records lie all over the
table, so a statement per chunk of subjects would read most of the table's pages every time.
A few subjects (a live score, a simulation chunk) use `aggregate_chunk`.
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
from indicators.record_pass import Aggregate, Found, Matches, RecordStream, record_pass
from indicators.rules import MetricThreshold, RecordMatch, SetDocument

SUBJECT = SUBJECT_TABLE.c
METRIC = SUBJECT_METRIC_TABLE.c

# A revoked record is as if never decided; a repaired one no longer counts against the subject
# (from the next cycle when the policy says so: `counted_in`). Corrected and expired records
# still happened.
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


def _record_rules(document: SetDocument) -> list[tuple[str, RecordMatch]]:
    return [
        (indicator.code, indicator.rule)
        for _, indicator in document.indicators()
        if isinstance(indicator.rule, RecordMatch)
    ]


def counted_in(cycle: Cycle) -> ColumnElement[bool]:
    """The revisions that count in `cycle`: the counted statuses, and a repair whose policy
    lets the score effect wait for the next cycle while `cycle` began before the repair."""
    waiting_repair = and_(
        REVISION.status == str(RecordStatus.REPAIRED),
        REVISION.repair_counts_until.is_not(None),
        REVISION.repair_counts_until >= cycle.start,
    )
    return or_(REVISION.status.in_(COUNTED_STATUSES), waiting_repair)


def _record_scope(cycle: Cycle, as_of: datetime) -> list[ColumnElement[bool]]:
    return [
        known_at(as_of),
        counted_in(cycle),
        REVISION.decided_on <= cycle.end,
    ]


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
    scope = [REVISION.subject_id.between(lo, hi), *_record_scope(cycle, as_of)]
    record_rules = _record_rules(document)
    by_subject: Found = {}
    if record_rules:
        matches = Matches([code for code, _ in record_rules])
        for row in (await session.execute(record_pass(record_rules, cycle, scope))).all():
            matches.add(row, by_subject)
    found = {
        (subject_id, code): aggregate
        for subject_id, aggregates in by_subject.items()
        for code, aggregate in aggregates.items()
    }
    found.update(await aggregate_metrics(session, document, subject_ids, cycle, as_of))
    return found


async def aggregate_metrics(
    session: AsyncSession,
    document: SetDocument,
    subject_ids: Sequence[int],
    cycle: Cycle,
    as_of: datetime,
) -> dict[tuple[int, str], Aggregate]:
    """`{(subject id, indicator code): Aggregate}` of the metric indicators, in one statement."""
    lo, hi = min(subject_ids), max(subject_ids)
    metric_branches: list[Select[Any]] = []
    for _, indicator in document.indicators():
        if isinstance(indicator.rule, MetricThreshold):
            metric_branches.append(
                _metric_branch(indicator.code, indicator.rule, cycle, lo, hi, as_of)
            )
    found: dict[tuple[int, str], Aggregate] = {}
    if metric_branches:
        statement: Select[Any] | CompoundSelect = (
            metric_branches[0] if len(metric_branches) == 1 else union_all(*metric_branches)
        )
        for row in (await session.execute(statement)).all():
            found[(int(row.subject_id), str(row.indicator))] = Aggregate(
                int(row.n), int(row.amount or 0), ()
            )
    return found


async def open_record_stream(
    session: AsyncSession,
    document: SetDocument,
    kind: str,
    regions: Sequence[str],
    cycle: Cycle,
    as_of: datetime,
    changed_since: datetime | None = None,
) -> RecordStream | None:
    """Start the record pass of `kind`'s subjects in scope (None when the set counts no
    records). The same transaction keeps working while it is open."""
    record_rules = _record_rules(document)
    if not record_rules:
        return None
    in_scope = select(SUBJECT.id).where(*_scope([kind], regions, as_of, changed_since))
    scope = [REVISION.subject_id.in_(in_scope), *_record_scope(cycle, as_of)]
    query = record_pass(record_rules, cycle, scope)
    result = await session.stream(query.order_by(query.selected_columns[0]))
    return RecordStream(result, Matches([code for code, _ in record_rules]))


async def earliest_knowledge(session: AsyncSession) -> datetime | None:
    """When the first record revision became known (None when there are no records)."""
    return (await session.execute(select(func.min(REVISION.known_from)))).scalar_one()
