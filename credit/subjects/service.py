"""Register and change credit subjects; every change is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.subjects import identifiers as ids
from credit.subjects import intake, names, repository, status
from credit.subjects.kinds import get_kind
from credit.subjects.models import Subject, SubjectCreate, SubjectUpdate
from credit.subjects.pii import PersonalIdentifiers, required
from credit.subjects.status import STATUS_FIELDS

# Unique columns as the API names them, for conflict messages.
FIELD_OF_COLUMN = {
    "uscc": "uscc",
    "resident_id_hash": "resident_id",
    "insurance_no_hash": "insurance_no",
    "nhsa_code": "nhsa_code",
}
PERSONAL_COLUMNS = ("hash", "sealed", "masked")


def _not_found(subject_id: int, field: str) -> NotFound:
    return NotFound(f"subject {subject_id} does not exist", field=field, rule="exists")


async def get_subject(
    session: AsyncSession, subject_id: int, *, field: str = "subject_id"
) -> Subject:
    """The subject with this id, or NotFound naming `field`."""
    subject = await repository.subject_by_id(session, subject_id)
    if subject is None:
        raise _not_found(subject_id, field)
    return subject


def protected_columns(
    pii: PersonalIdentifiers | None, personal: dict[str, str | None]
) -> dict[str, Any]:
    """Hash, sealed copy and masked form for each personal identifier (all None to clear)."""
    columns: dict[str, Any] = {}
    for name, value in personal.items():
        protected = required(pii).protect(name, value) if value is not None else None
        columns[f"{name}_hash"] = protected.lookup_hash if protected else None
        columns[f"{name}_sealed"] = protected.sealed if protected else None
        columns[f"{name}_masked"] = protected.masked if protected else None
    return columns


def _unique_values(columns: dict[str, Any]) -> dict[str, str | None]:
    return {column: columns[column] for column in FIELD_OF_COLUMN if column in columns}


def _conflict(column: str, existing_id: int, value: str | None) -> Conflict:
    field = FIELD_OF_COLUMN[column]
    shown = "" if column.endswith("_hash") else f" {value}"
    return Conflict(
        f"subject {existing_id} is already registered with this {field}{shown}",
        field=field,
        rule="unique",
        extra={"existing_id": existing_id},
    )


async def _ensure_unique(
    session: AsyncSession, values: dict[str, str | None], kind: str, exclude_id: int | None
) -> None:
    duplicate = await repository.duplicate_of(session, values, kind=kind, exclude_id=exclude_id)
    if duplicate:
        column, existing_id = duplicate
        raise _conflict(column, existing_id, values[column])


async def _flush_unique(
    session: AsyncSession, subject: Subject, values: dict[str, str | None]
) -> None:
    """Flush in a savepoint; a row written meanwhile with the same identifier answers 409 too."""
    # Read before the flush: a rolled-back savepoint expires the object's attributes.
    kind, subject_id = subject.kind, subject.id
    try:
        async with session.begin_nested():
            session.add(subject)
            await session.flush()
    except IntegrityError:
        await _ensure_unique(session, values, kind, subject_id)
        raise


async def register(
    session: AsyncSession,
    actor: Actor,
    new: SubjectCreate,
    *,
    pii: PersonalIdentifiers | None = None,
) -> Subject:
    """Register a subject; a duplicate identifier answers 409 with the existing subject's id.

    `pii` (keys derived from the app secret) is needed when personal identifiers are given.
    """
    kind = get_kind(new.kind)
    given = new.model_dump(exclude={"kind", "override_check_digit", "override_reason"})
    checked = intake.check_fields(kind, given)
    intake.authorise_override(
        actor,
        checked.check_digit_failures,
        override=new.override_check_digit,
        reason=new.override_reason,
    )
    values = {**checked.columns, **checked.personal}
    intake.check_required(kind, {name: value is not None for name, value in values.items()})
    columns = {**checked.columns, **intake.defaults_for(kind, checked.columns)}
    personal = protected_columns(pii, checked.personal)
    overridden = sorted(failure.field for failure in checked.check_digit_failures if failure.field)
    unique = _unique_values({**columns, **personal})
    await _ensure_unique(session, unique, kind.code, None)
    now = utcnow()
    name_key = names.key_of(str(columns["name"]))
    subject = Subject(
        kind=kind.code,
        **columns,
        **personal,
        name_key=name_key.core,
        name_pinyin=name_key.pinyin,
        identifier_override=bool(overridden),
        override_reason=new.override_reason if overridden else None,
        created_at=now,
        updated_at=now,
    )
    await _flush_unique(session, subject, unique)
    assert subject.id is not None
    await names.index_grams(session, [(subject.id, subject.name)])
    # The audit log keeps personal identifiers in masked form only.
    masked = {name: personal[f"{name}_masked"] for name in checked.personal}
    change: dict[str, Any] = {"kind": kind.code, **columns, **masked}
    if overridden:
        change.update(override_check_digit=overridden, override_reason=new.override_reason)
    await audit.record(session, actor, "subject.register", "subject", subject.id, change)
    return subject


def _still_fails_check_digit(subject: Subject, pii: PersonalIdentifiers | None) -> bool:
    """Whether a stored official code still fails its check digit (keeps the override flag)."""
    sealed = subject.resident_id_sealed
    resident_id = required(pii).unseal(sealed) if sealed else None
    if sealed and resident_id is None:
        return True  # sealed under an older secret: cannot tell, so keep the flag
    for check, value in (
        (ids.validate_uscc, subject.uscc),
        (ids.validate_resident_id, resident_id),
    ):
        if value is None:
            continue
        try:
            check(value)
        except ids.CheckDigitMismatch:
            return True
        except InvalidInput:
            continue
    return False


def _present_after(subject: Subject, checked: intake.CheckedFields) -> dict[str, bool]:
    """Which identifiers the subject holds once the change is applied."""
    present = {name: getattr(subject, name) is not None for name in ("uscc", "nhsa_code")}
    for name in intake.PERSONAL_FIELDS:
        present[name] = getattr(subject, f"{name}_hash") is not None
    for name, value in {**checked.columns, **checked.personal}.items():
        present[name] = value is not None
    return present


def _changed_columns(
    subject: Subject, checked: intake.CheckedFields, personal: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(previous values by field, new values by column) for what actually changes."""
    before: dict[str, Any] = {}
    new_values: dict[str, Any] = {}
    for name, value in checked.columns.items():
        if getattr(subject, name) != value:
            before[name], new_values[name] = getattr(subject, name), value
    for name in checked.personal:
        # Compare hashes: a sealed copy differs on every sealing, even of the same value.
        if getattr(subject, f"{name}_hash") != personal[f"{name}_hash"]:
            before[name] = getattr(subject, f"{name}_masked")
            for part in PERSONAL_COLUMNS:
                new_values[f"{name}_{part}"] = personal[f"{name}_{part}"]
    return before, new_values


def _new_failures(
    subject: Subject, checked: intake.CheckedFields, pii: PersonalIdentifiers | None
) -> list[ids.CheckDigitMismatch]:
    """Check-digit failures of values the change brings; a code already accepted stays so."""
    stored = {
        "uscc": subject.uscc,
        "resident_id": subject.resident_id_hash,
        "insurance_no": subject.insurance_no_hash,
    }
    fresh = []
    for failure in checked.check_digit_failures:
        value = failure.value
        if failure.field in intake.PERSONAL_FIELDS:
            value = required(pii).lookup_hash(failure.field, value)
        if stored.get(failure.field or "") != value:
            fresh.append(failure)
    return fresh


async def update(
    session: AsyncSession,
    actor: Actor,
    subject_id: int,
    changes: SubjectUpdate,
    *,
    pii: PersonalIdentifiers | None = None,
) -> Subject:
    """Change a subject; identifiers are checked as on registration, statuses move only along
    their transition table."""
    subject = await get_subject(session, subject_id)
    kind = get_kind(subject.kind)
    given = changes.model_dump(
        exclude_unset=True, exclude={"override_check_digit", "override_reason"}
    )
    checked = intake.check_fields(kind, given)
    intake.refuse_clearing(checked.columns)
    failures = _new_failures(subject, checked, pii)
    intake.authorise_override(
        actor, failures, override=changes.override_check_digit, reason=changes.override_reason
    )
    intake.check_required(kind, _present_after(subject, checked))
    statuses = {
        name: checked.columns.pop(name) for name in STATUS_FIELDS if name in checked.columns
    }
    for name, to in statuses.items():
        status.check_transition(name, getattr(subject, name), to)

    personal = protected_columns(pii, checked.personal)
    before, new_values = _changed_columns(subject, checked, personal)
    if new_values:
        unique = _unique_values(new_values)
        await _ensure_unique(session, unique, kind.code, subject.id)
        for name, value in new_values.items():
            setattr(subject, name, value)
        if "name" in new_values:
            for name, value in names.name_columns(subject.name).items():
                setattr(subject, name, value)
        overridden = sorted(failure.field for failure in failures if failure.field)
        if overridden:
            subject.identifier_override, subject.override_reason = True, changes.override_reason
        elif subject.identifier_override and not _still_fails_check_digit(subject, pii):
            subject.identifier_override, subject.override_reason = False, None
        subject.updated_at = utcnow()
        await _flush_unique(session, subject, unique)
        if "name" in new_values:
            assert subject.id is not None
            await names.index_grams(session, [(subject.id, subject.name)])
        change: dict[str, Any] = {
            name: {"from": old, "to": new_values.get(name, new_values.get(f"{name}_masked"))}
            for name, old in before.items()
        }
        if overridden:
            change["override_check_digit"] = overridden
            change["override_reason"] = changes.override_reason
        await audit.record(session, actor, "subject.update", "subject", subject.id, change)
    for name, to in statuses.items():
        await status.transition(session, actor, subject, name, to)
    return subject
