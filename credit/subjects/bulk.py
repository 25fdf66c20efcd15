"""Set-based loading for the demo generator and imports: validate all, insert at once, audit once.

Rows are validated exactly as single registrations are; the first bad row stops the batch and
the error names it (`rows[12].uscc`). A row written concurrently with the same identifier makes
the insert fail with IntegrityError; batches are meant for loading, not for racing requests.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, DomainError, InvalidInput
from credit.subjects import intake, names, repository
from credit.subjects.kinds import get_kind
from credit.subjects.models import SUBJECT_TABLE, PracticeRole, SubjectCreate
from credit.subjects.pii import PersonalIdentifiers
from credit.subjects.service import FIELD_OF_COLUMN, protected_columns

LOOKUP_CHUNK = 1000  # values per IN (...) query, well under both databases' parameter limits
# An executemany needs the same keys in every row: every column but the id, None unless set.
_EMPTY_ROW: dict[str, Any] = {
    column.name: None for column in SUBJECT_TABLE.columns if column.name != "id"
}
T = TypeVar("T")


def _at_row(error: DomainError, index: int) -> DomainError:
    """The same error, naming the row it came from."""
    located = copy.copy(error)
    located.field = f"rows[{index}].{error.field}" if error.field else f"rows[{index}]"
    located.message = f"row {index}: {error.message}"
    located.args = (located.message,)
    return located


def _row_columns(
    actor: Actor, pii: PersonalIdentifiers | None, new: SubjectCreate, now: Any
) -> dict[str, Any]:
    kind = get_kind(new.kind)
    checked = intake.check_fields(
        kind, new.model_dump(exclude={"kind", "override_check_digit", "override_reason"})
    )
    intake.authorise_override(
        actor,
        checked.check_digit_failures,
        override=new.override_check_digit,
        reason=new.override_reason,
    )
    values = {**checked.columns, **checked.personal}
    intake.check_required(kind, {name: value is not None for name, value in values.items()})
    overridden = bool(checked.check_digit_failures)
    return {
        **_EMPTY_ROW,
        "kind": kind.code,
        **checked.columns,
        **intake.defaults_for(kind, checked.columns),
        **protected_columns(pii, checked.personal),
        **names.name_columns(str(checked.columns["name"])),
        "identifier_override": overridden,
        "override_reason": new.override_reason if overridden else None,
        "created_at": now,
        "updated_at": now,
    }


def _chunks(values: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


async def _refuse_duplicates(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """No identifier twice in the batch, none already registered."""
    for column, field in FIELD_OF_COLUMN.items():
        seen: dict[tuple[str, str], int] = {}
        for index, row in enumerate(rows):
            if row[column] is None:
                continue
            key = (row["kind"] if column == "nhsa_code" else "", row[column])
            if key in seen:
                raise InvalidInput(
                    f"row {index}: {field} repeats row {seen[key]}",
                    field=f"rows[{index}].{field}",
                    rule="unique_in_batch",
                )
            seen[key] = index
        for scope in {kind for kind, _ in seen}:
            values = [value for kind, value in seen if kind == scope]
            for chunk in _chunks(values):
                taken = await repository.ids_holding(session, column, chunk, kind=scope or None)
                if taken:
                    value, existing_id = next(iter(taken.items()))
                    index = seen[(scope, value)]
                    raise Conflict(
                        f"row {index}: subject {existing_id} is already registered with this "
                        f"{field}",
                        field=f"rows[{index}].{field}",
                        rule="unique",
                        extra={"existing_id": existing_id},
                    )


async def bulk_register(
    session: AsyncSession,
    actor: Actor,
    rows: Sequence[SubjectCreate],
    *,
    pii: PersonalIdentifiers | None = None,
) -> list[int]:
    """Register many subjects with one executemany and one audit event; ids in the rows' order."""
    if not rows:
        return []
    now = utcnow()
    prepared: list[dict[str, Any]] = []
    for index, new in enumerate(rows):
        try:
            prepared.append(_row_columns(actor, pii, new, now))
        except DomainError as error:
            raise _at_row(error, index) from None
    await _refuse_duplicates(session, prepared)
    new_ids = await repository.insert_subjects(session, prepared)
    await names.index_grams(
        session, [(new_id, row["name"]) for new_id, row in zip(new_ids, prepared, strict=True)]
    )
    overridden = [new_ids[i] for i, row in enumerate(prepared) if row["identifier_override"]]
    await audit.record(
        session,
        actor,
        "subject.bulk_register",
        "subject",
        f"{new_ids[0]}-{new_ids[-1]}",
        {
            "count": len(new_ids),
            "kinds": dict(Counter(row["kind"] for row in prepared)),
            "first_id": new_ids[0],
            "last_id": new_ids[-1],
            "override_check_digit_ids": overridden,
        },
    )
    return new_ids


@dataclass(frozen=True, slots=True)
class PracticeSiteRow:
    """One practice site to load: ids of a practising person and a hosting institution."""

    person_id: int
    institution_id: int
    role: PracticeRole
    started_on: date
    ended_on: date | None = None


async def bulk_add_practice_sites(
    session: AsyncSession, actor: Actor, rows: Sequence[PracticeSiteRow]
) -> int:
    """Insert many practice sites at once after checking both sides' kinds; one audit event."""
    if not rows:
        return 0
    ids = {row.person_id for row in rows} | {row.institution_id for row in rows}
    kinds: dict[int, str] = {}
    for chunk in _chunks(sorted(ids)):
        kinds |= await repository.kinds_of(session, chunk)
    for index, row in enumerate(rows):
        for field, subject_id, needs in (
            ("person_id", row.person_id, "practises"),
            ("institution_id", row.institution_id, "hosts_practice"),
        ):
            kind = kinds.get(subject_id)
            if kind is None or not getattr(get_kind(kind), needs):
                role = "a practising person" if needs == "practises" else "an institution"
                raise InvalidInput(
                    f"row {index}: {field} {subject_id} is not {role}",
                    field=f"rows[{index}].{field}",
                    rule="practice_party",
                )
        if row.ended_on is not None and row.ended_on < row.started_on:
            raise InvalidInput(
                f"row {index}: ended_on is before started_on",
                field=f"rows[{index}].ended_on",
                rule="after_start",
            )
    now = utcnow()
    await repository.insert_sites(
        session,
        [
            {
                "person_id": row.person_id,
                "institution_id": row.institution_id,
                "role": str(row.role),
                "started_on": row.started_on,
                "ended_on": row.ended_on,
                "created_at": now,
            }
            for row in rows
        ],
    )
    await audit.record(
        session,
        actor,
        "practice_site.bulk_add",
        "practice_site",
        "batch",
        {"count": len(rows), "roles": dict(Counter(str(row.role) for row in rows))},
    )
    return len(rows)
