"""Replaying every change from the start reproduces the snapshot, entry by entry.

Over a thousand random list operations go through the real services (propose, each procedure
step, amend, drop, remove for every reason, expiry by the sweep) on the three lists; then, per
list, the feed is replayed from `since=0` and compared with the snapshot and with the entries
in force in the list table itself.
"""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import select

from api.db import Database
from credit.changelog.models import LIST_STREAMS, FeedStream
from credit.feeds import changes, snapshots
from credit.feeds.formats import SnapshotFormat
from credit.kernel.errors import DomainError
from credit.kernel.statements import SessionStatements
from credit.lists import service, steps
from credit.lists.feed import IN_FORCE, entry_body
from credit.lists.models import EntryStatus, ListEntry, RemovalReason
from credit.lists.schemas import AmendInput, TransitionInput
from credit.lists.sweep import sweep_lists
from credit.policy.vocabulary import ListName
from credit.subjects.models import Subject
from tests.credit.feeds.support import institution, seed
from tests.credit.lists.support import (
    ACTOR_FOR,
    PATHS,
    REVIEWER,
    day_after_periods,
    propose,
)

OPERATIONS = 1200  # over a thousand: every path of every procedure, many times
SUBJECTS = 60
REMOVAL_REASONS = [
    RemovalReason.REVOKED,
    RemovalReason.REPAIRED,
    RemovalReason.OVERTURNED,
    RemovalReason.SUPERSEDED,
]


async def _step(
    db: Database, list_name: ListName, entry_id: int, to: EntryStatus, **extra: Any
) -> None:
    async with db.transaction() as session:
        entry = await service.get_entry(session, list_name, entry_id)
        await steps.move(
            session,
            ACTOR_FOR.get(to, REVIEWER),
            list_name,
            entry_id,
            TransitionInput(to=to, reason="随机操作", **extra),
            today=day_after_periods(entry),
        )


async def _operate(db: Database, rng: random.Random, subjects: list[int]) -> int:
    """One random operation; the number of service calls it made."""
    list_name = rng.choice(list(ListName))
    subject_id = rng.choice(subjects)
    async with db.transaction() as session:
        entry = await _open(session, list_name, subject_id)
    if entry is None:
        await propose(db, list_name, subject_id)
        return 1
    assert entry.id is not None
    status = EntryStatus(entry.status)
    if status is IN_FORCE[list_name]:
        choice = rng.random()
        if choice < 0.35:
            await _step(
                db, list_name, entry.id, EntryStatus.REMOVED,
                removal_reason=rng.choice(REMOVAL_REASONS),
            )  # fmt: skip
        elif choice < 0.5:
            await _expire(db, list_name, entry)
        else:
            await _amend(db, rng, list_name, entry)
        return 1
    if rng.random() < 0.1:
        await _step(db, list_name, entry.id, EntryStatus.DROPPED)
        return 1
    following = PATHS[list_name][
        PATHS[list_name].index(status) + 1 if status in PATHS[list_name] else 0
    ]
    await _step(db, list_name, entry.id, following)
    return 1


async def _open(session: Any, list_name: ListName, subject_id: int) -> ListEntry | None:
    from credit.lists import repository

    return await repository.open_entry(session, list_name, subject_id)


async def _amend(db: Database, rng: random.Random, list_name: ListName, entry: ListEntry) -> None:
    assert entry.id is not None
    assert entry.valid_from is not None
    assert entry.valid_until is not None
    change: dict[str, Any]
    if rng.random() < 0.5:
        change = {"legal_basis": f"《条例》第{rng.randint(1, 99)}条"}
    else:
        days = rng.randint(1, 400)
        change = {"valid_until": max(entry.valid_from, entry.valid_until - timedelta(days=days))}
    async with db.transaction() as session:
        # An amendment that changes nothing is refused, and nothing is logged either.
        with contextlib.suppress(DomainError):
            await steps.amend(
                session, REVIEWER, list_name, entry.id, AmendInput(reason="随机修改", **change)
            )


async def _expire(db: Database, list_name: ListName, entry: ListEntry) -> None:
    """Shorten the validity to its first day, then let the sweep remove it the day after."""
    assert entry.id is not None
    assert entry.valid_from is not None
    if entry.valid_until != entry.valid_from:
        async with db.transaction() as session:
            await steps.amend(
                session,
                REVIEWER,
                list_name,
                entry.id,
                AmendInput(reason="有效期届满", valid_until=entry.valid_from),
            )
    async with db.transaction() as session:
        await sweep_lists(session, entry.valid_from + timedelta(days=1))


Replayed = tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]], int]


async def _replay(db: Database, stream: FeedStream) -> Replayed:
    """What a partner holds after reading every change from since=0: the entries in force, the
    last change of every entry ever seen, and how many pages it read."""
    held: dict[int, dict[str, Any]] = {}
    last: dict[int, dict[str, Any]] = {}
    cursor, pages = "0", 0
    while True:
        async with db.transaction() as session:
            statements = SessionStatements(session)
            page = orjson.loads((await changes.read(statements, stream, cursor, 50)).content)
        pages += 1
        for change in page["changes"]:
            entry = change["entry"]
            last[entry["entry_id"]] = change
            if change["op"] == "DEL":
                assert entry["entry_id"] in held, change
                assert entry["removal_reason"] in {str(reason) for reason in RemovalReason}
                assert entry["status"] == "removed"
                del held[entry["entry_id"]]
            elif change["op"] == "ADD":
                assert entry["entry_id"] not in held, change
                held[entry["entry_id"]] = entry
            else:
                assert entry["entry_id"] in held, change
                held[entry["entry_id"]] = entry
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return held, last, pages


async def test_replaying_the_feed_reproduces_the_snapshot_entry_by_entry(db: Database) -> None:
    await seed(db)
    rng = random.Random(20260301)
    subjects = [await institution(db, number, f"随机医院{number}") for number in range(SUBJECTS)]
    done = 0
    while done < OPERATIONS:
        done += await _operate(db, rng, subjects)

    reasons: set[str] = set()
    for stream in LIST_STREAMS:
        held, last, pages = await _replay(db, stream)
        async with db.transaction() as session:
            version = await snapshots.version_of(session, stream)
            raw = b"".join(
                [
                    chunk
                    async for chunk in snapshots.render(
                        session, stream, SnapshotFormat.JSON, version
                    )
                ]
            )
            in_force = list(
                (
                    await session.execute(
                        select(ListEntry).where(
                            ListEntry.list_name == str(stream),  # type: ignore[arg-type]
                            ListEntry.status == str(IN_FORCE[ListName(str(stream))]),  # type: ignore[arg-type]
                        )
                    )
                ).scalars()
            )
            subjects_by_id = {s.id: s for s in (await session.execute(select(Subject))).scalars()}
        snapshot = orjson.loads(raw)
        assert snapshot["count"] == len(held)
        assert [entry["entry_id"] for entry in snapshot["entries"]] == sorted(held)
        for entry in snapshot["entries"]:
            assert entry == held[entry["entry_id"]]
        # And both are what the list table says is in force, as it reads now.
        assert sorted(held) == sorted(entry.id for entry in in_force)
        for entry in in_force:
            assert held[entry.id] == orjson.loads(
                orjson.dumps(entry_body(entry, subjects_by_id[entry.subject_id]))
            )
        assert held, f"the random run left nothing on the {stream} list"
        assert pages > 1

        # Every removed entry reached partners last as a DEL carrying its reason.
        async with db.transaction() as session:
            removed = (
                await session.execute(
                    select(ListEntry).where(
                        ListEntry.list_name == str(stream),  # type: ignore[arg-type]
                        ListEntry.status == str(EntryStatus.REMOVED),  # type: ignore[arg-type]
                    )
                )
            ).scalars()
            for entry in removed:
                assert entry.id is not None
                assert last[entry.id]["op"] == "DEL"
                assert last[entry.id]["entry"]["removal_reason"] == entry.removal_reason
                reasons.add(str(entry.removal_reason))
    assert {"expired", "revoked", "repaired", "overturned", "superseded"} <= reasons
