"""One pass over the revisions known at `as_of`: which indicators each record counts for.

Each revision gets a bit mask of the indicators whose conditions it meets (one integer column
per 62 indicators), and the revisions are grouped by subject and mask: a count, an amount and
the record ids per group. The database evaluates every indicator's condition once per record
and keeps three aggregates per group, instead of three per indicator; Python adds a subject's
few groups up into what each indicator found.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncResult

from credit.records.repository import REVISION
from indicators.cycles import Cycle
from indicators.rules import RecordMatch

MASK_BITS = 62  # indicators per mask column: bits of a signed 64-bit integer, with room to spare
STREAM_BATCH = 2000  # groups fetched from an open pass at a time
KNOWN_MASKS = 4096  # mask combinations remembered before starting afresh


@dataclass(frozen=True, slots=True)
class Aggregate:
    """What one indicator found for one subject: records counted, their amount, their ids."""

    count: int
    amount_fen: int  # sum of amounts involved; for a metric, its worst value in millionths
    record_ids: tuple[int, ...]


Found = dict[int, dict[str, Aggregate]]  # {subject id: {indicator code: Aggregate}}


def _matches(rule: RecordMatch, cycle: Cycle) -> ColumnElement[bool]:
    conditions = [REVISION.decided_on >= cycle.window_start(rule.window_months)]
    if rule.item_codes:
        conditions.append(REVISION.item_code.in_(rule.item_codes))
    if rule.categories:
        conditions.append(REVISION.category.in_([str(value) for value in rule.categories]))
    if rule.severities:
        conditions.append(REVISION.severity.in_([str(value) for value in rule.severities]))
    return and_(*conditions)


def record_pass(
    rules: Sequence[tuple[str, RecordMatch]], cycle: Cycle, scope: list[ColumnElement[bool]]
) -> Select[Any]:
    """Subject id, count, amount, ids and the mask columns of each (subject, mask) group."""
    masks: list[ColumnElement[Any]] = []
    for start in range(0, len(rules), MASK_BITS):
        bits = [
            case((_matches(rule, cycle), 1 << bit), else_=0)
            for bit, (_, rule) in enumerate(rules[start : start + MASK_BITS])
        ]
        masks.append(reduce(operator.add, bits).label(f"mask{start // MASK_BITS}"))
    earliest = min(cycle.window_start(rule.window_months) for _, rule in rules)
    matched = (
        select(
            REVISION.subject_id,
            REVISION.record_id,
            func.coalesce(type_coerce(REVISION.amount_involved, BigInteger), 0).label("amount"),
            *masks,
        )
        .where(*scope, REVISION.decided_on >= earliest)
        .subquery("matched")
    )
    mask_columns = [matched.c[f"mask{index}"] for index in range(len(masks))]
    return (
        select(
            matched.c.subject_id,
            func.count(),
            cast(func.sum(matched.c.amount), BigInteger),
            func.aggregate_strings(cast(matched.c.record_id, String), ","),
            *mask_columns,
        )
        .where(or_(*(column != 0 for column in mask_columns)))
        .group_by(matched.c.subject_id, *mask_columns)
    )


@dataclass(slots=True)
class Matches:
    """Reads the groups of a record pass back into what each indicator found."""

    codes: list[str]
    by_masks: dict[tuple[int, ...], list[str]] = field(default_factory=dict)

    def _codes_of(self, masks: tuple[int, ...]) -> list[str]:
        known = self.by_masks.get(masks)
        if known is None:
            if len(self.by_masks) >= KNOWN_MASKS:
                self.by_masks.clear()
            known = [
                code
                for index, code in enumerate(self.codes)
                if masks[index // MASK_BITS] >> (index % MASK_BITS) & 1
            ]
            self.by_masks[masks] = known
        return known

    def add(self, row: Sequence[Any], into: Found) -> None:
        """Count one group towards each indicator its mask names."""
        subject_id, count, amount, ids = row[0], row[1], row[2], row[3]
        record_ids = tuple(sorted(map(int, ids.split(","))))
        found = into.setdefault(subject_id, {})
        for code in self._codes_of(tuple(row[4:])):
            earlier = found.get(code)
            if earlier is None:
                found[code] = Aggregate(count, int(amount or 0), record_ids)
            else:  # an indicator whose records fall into several groups
                found[code] = Aggregate(
                    earlier.count + count,
                    earlier.amount_fen + int(amount or 0),
                    tuple(sorted(earlier.record_ids + record_ids)),
                )


@dataclass(slots=True)
class RecordStream:
    """A record pass over a whole scope, ordered by subject, read in step with the chunks of
    subjects: each chunk takes the groups up to its last subject."""

    result: AsyncResult[Any]
    matches: Matches
    buffer: Sequence[Row[Any]] = ()
    position: int = 0
    exhausted: bool = False

    async def fill(self) -> bool:
        """Fetch the next groups; False once the pass is done."""
        if not self.exhausted:
            self.buffer, self.position = await self.result.fetchmany(STREAM_BATCH), 0
            self.exhausted = not self.buffer
        return not self.exhausted

    async def until(self, last_subject_id: int) -> Found:
        """What the subjects up to `last_subject_id` found, not handed out before."""
        found: Found = {}
        add = self.matches.add
        while self.position < len(self.buffer) or await self.fill():
            row = self.buffer[self.position]
            if row[0] > last_subject_id:
                break
            add(row, found)
            self.position += 1
        return found

    async def close(self) -> None:
        await self.result.close()
