"""Reactions to changed credit records: record-based candidates, red entries a new negative record
ends, and entries whose records were revoked or repaired. All run in the transaction that changed
the records (`credit.kernel.signals`).

The grade- and points-based criteria are the evaluation layer's to apply; it calls
`credit.lists.service.propose_automatic` after a run is published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel import signals
from credit.kernel.actor import SYSTEM_ACTOR
from credit.kernel.errors import NotFound
from credit.kernel.signals import SubjectsChanged
from credit.lists import repository, steps, workflow
from credit.lists.models import EntryStatus, RemovalReason
from credit.lists.repository import CONFIRMED, STANDING, QualifyingRecord
from credit.lists.schemas import TransitionInput
from credit.lists.service import propose_automatic
from credit.policy.lists import ListCriterion
from credit.policy.national import NationalPack
from credit.policy.regime import national_rules
from credit.policy.vocabulary import FAVOURABLE_CATEGORIES, ListName
from credit.records.models import RecordStatus

# Conditions only the evaluation layer can judge (grades, points, qualification, cycles).
_EVALUATION_CONDITIONS = ("grades", "qualification_statuses", "min_points", "consecutive_cycles")


def is_record_based(criterion: ListCriterion) -> bool:
    """A criterion decided by one record alone: item codes, categories, a fund loss."""
    if any(getattr(criterion, name) for name in _EVALUATION_CONDITIONS):
        return False
    return bool(criterion.item_codes or criterion.categories or criterion.min_fund_loss)


def matches(criterion: ListCriterion, record: QualifyingRecord) -> bool:
    """Every condition the criterion sets holds for the record (a fund loss is per case)."""
    if criterion.item_codes and record.item_code not in criterion.item_codes:
        return False
    if criterion.categories and record.category not in criterion.categories:
        return False
    if criterion.min_fund_loss is not None:
        return record.amount_involved is not None and (
            record.amount_involved >= criterion.min_fund_loss
        )
    return True


def _reason(criterion: ListCriterion, records: Sequence[QualifyingRecord]) -> str:
    cited = "; ".join(
        f"record {record.record_id} ({record.item_code}"
        + (f", {record.document_no}" if record.document_no else "")
        + f", decided {record.decided_on.isoformat()})"
        for record in records
    )
    return f"{criterion.zh} / {criterion.en}: {cited}"


async def propose_from_records(
    session: AsyncSession, pack: NationalPack, subject_ids: Collection[int]
) -> int:
    """Propose an entry for each subject a confirmed record qualifies; how many were proposed.

    A record already cited by an entry of the list (open or closed) proposes nothing again: a
    candidate the reviewer dropped is not put back by the next unrelated change.
    """
    by_list = {
        list_name: [c for c in pack.lists.of(list_name).criteria if is_record_based(c)]
        for list_name in ListName
    }
    every = [criterion for criteria in by_list.values() for criterion in criteria]
    if not every:
        return 0
    # Only records some criterion could take are read: an import touches thousands of subjects.
    records = await repository.current_records(session, subject_ids, CONFIRMED, meeting=every)
    if not records:
        return 0
    proposed = 0
    for list_name, criteria in by_list.items():
        if not criteria:
            continue
        cited = await repository.cited_records(session, list_name, subject_ids)
        for subject_id, criterion, found in _qualifying(records, criteria, cited):
            entry = await propose_automatic(
                session,
                subject_id,
                list_name,
                criterion.code,
                _reason(criterion, found),
                record_ids=[record.record_id for record in found],
            )
            proposed += entry is not None
    return proposed


def _qualifying(
    records: Sequence[QualifyingRecord],
    criteria: Sequence[ListCriterion],
    cited: dict[int, set[int]],
) -> list[tuple[int, ListCriterion, list[QualifyingRecord]]]:
    """Per subject, the first criterion (in pack order) some uncited record meets."""
    by_subject: dict[int, list[QualifyingRecord]] = defaultdict(list)
    for record in records:
        if record.record_id not in cited.get(record.subject_id, set()):
            by_subject[record.subject_id].append(record)
    found = []
    for subject_id, own in sorted(by_subject.items()):
        for criterion in criteria:
            meeting = [record for record in own if matches(criterion, record)]
            if meeting:
                found.append((subject_id, criterion, meeting))
                break
    return found


async def end_red_entries(session: AsyncSession, subject_ids: Collection[int]) -> int:
    """Remove (published) or drop (not yet in force) red entries whose subject has a negative
    record recorded since the entry was proposed; how many ended."""
    entries = await repository.open_entries(session, ListName.RED, subject_ids)
    if not entries:
        return 0
    favourable = [str(category) for category in FAVOURABLE_CATEGORIES]
    negative = await repository.current_records(
        session,
        {entry.subject_id for entry in entries},
        STANDING,
        negative_only=True,
        favourable=favourable,
    )
    ended = 0
    for entry in entries:
        new = [
            record
            for record in negative
            if record.subject_id == entry.subject_id and record.recorded_at >= entry.proposed_at
        ]
        if not new:
            continue
        assert entry.id is not None
        published = entry.status == EntryStatus.PUBLISHED
        step = TransitionInput(
            to=EntryStatus.REMOVED if published else EntryStatus.DROPPED,
            removal_reason=RemovalReason.REVOKED if published else None,
            reason="a new negative record: "
            + ", ".join(f"{record.record_id} ({record.item_code})" for record in new),
        )
        await steps.move(session, SYSTEM_ACTOR, ListName.RED, entry.id, step)
        ended += 1
    return ended


# A record revoked (objection upheld) or repaired no longer grounds an entry (DESIGN 7).
_GROUNDLESS = {
    RecordStatus.REVOKED: RemovalReason.REVOKED,
    RecordStatus.REPAIRED: RemovalReason.REPAIRED,
}


async def end_groundless_entries(session: AsyncSession, subject_ids: Collection[int]) -> int:
    """End the open entries every cited record of which was revoked or repaired; how many."""
    ended = 0
    for list_name in ListName:
        entries = [
            entry
            for entry in await repository.open_entries(session, list_name, subject_ids)
            if entry.record_ids
        ]
        if not entries:
            continue
        statuses = await repository.record_statuses(
            session, {record_id for entry in entries for record_id in entry.record_ids}
        )
        for entry in entries:
            cited = {statuses.get(record_id) for record_id in entry.record_ids}
            if not cited <= set(_GROUNDLESS):
                continue
            # Revoked outweighs repaired: the entry should never have been made.
            reason = _GROUNDLESS[
                RecordStatus.REVOKED if RecordStatus.REVOKED in cited else RecordStatus.REPAIRED
            ]
            in_force = entry.status == workflow.IN_FORCE[list_name]
            assert entry.id is not None
            step = TransitionInput(
                to=EntryStatus.REMOVED if in_force else EntryStatus.DROPPED,
                removal_reason=reason if in_force else None,
                reason=f"the records it was based on were {reason}: "
                + ", ".join(str(record_id) for record_id in entry.record_ids),
            )
            await steps.move(session, SYSTEM_ACTOR, list_name, entry.id, step)
            ended += 1
    return ended


async def on_records_changed(session: AsyncSession, change: SubjectsChanged) -> None:
    """The signal handler: end entries whose grounds fell away, then propose candidates."""
    if change.cause == signals.LIST_ENTRY_CHANGED:
        return  # only records ground or end entries
    try:
        rules = await national_rules(session)
    except NotFound:
        return  # no rules in force: nothing can qualify
    await end_red_entries(session, change.subject_ids)
    if change.cause not in signals.NEW_RECORDS:
        # A new record never takes away an entry's grounds; revoked and repaired ones do.
        await end_groundless_entries(session, change.subject_ids)
    await propose_from_records(session, rules.pack, change.subject_ids)
