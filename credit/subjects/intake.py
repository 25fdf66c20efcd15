"""What a create or a change may carry for a subject's kind, checked and normalised."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from credit.kernel.actor import Actor, Role
from credit.kernel.errors import Forbidden, InvalidInput
from credit.subjects import identifiers as ids
from credit.subjects.kinds import ATTRIBUTE_FIELDS, IDENTIFIER_FIELDS, SubjectKind
from credit.subjects.models import AgreementStatus, InstitutionLevel, QualificationStatus

PERSONAL_FIELDS = ("resident_id", "insurance_no")
OVERRIDE_ROLES = frozenset({Role.ADMIN, Role.SYSTEM})
STATUS_FIELDS = ("agreement_status", "qualification_status")
# What a new subject gets for an attribute of its kind that the request leaves out.
ATTRIBUTE_DEFAULTS: dict[str, str] = {
    "level": InstitutionLevel.UNRATED,
    "agreement_status": AgreementStatus.NORMAL,
    "qualification_status": QualificationStatus.NORMAL,
}
_VALIDATORS: dict[str, Callable[..., str]] = {
    "uscc": ids.validate_uscc,
    "resident_id": ids.validate_resident_id,
    "insurance_no": ids.validate_insurance_no,
}


@dataclass(slots=True)
class CheckedFields:
    """Normalised values: `columns` go to the table as they are, `personal` must be protected."""

    columns: dict[str, Any] = field(default_factory=dict)
    personal: dict[str, str | None] = field(default_factory=dict)
    check_digit_failures: list[ids.CheckDigitMismatch] = field(default_factory=list)


def check_fields(kind: SubjectKind, given: Mapping[str, Any]) -> CheckedFields:
    """Refuse fields the kind does not have, validate identifiers, keep check-digit failures."""
    checked = CheckedFields()
    foreign = [name for name in given if _kind_specific(name) and not kind.applies(name)]
    for name in foreign:
        if given[name] is not None:
            raise InvalidInput(
                f"{name} does not apply to a {kind.code} ({kind.zh})",
                field=name,
                rule="not_for_kind",
            )
    for name, value in given.items():
        if name in foreign:
            continue  # null, so as good as absent
        if name in IDENTIFIER_FIELDS:
            normalised = None if value is None else _identifier(kind, name, value, checked)
            target = checked.personal if name in PERSONAL_FIELDS else checked.columns
            target[name] = normalised
        elif name == "region_code":
            checked.columns[name] = None if value is None else ids.validate_region_code(value)
        elif name in ATTRIBUTE_FIELDS or name == "name":
            checked.columns[name] = None if value is None else _plain(value)
    return checked


def _kind_specific(name: str) -> bool:
    return name in IDENTIFIER_FIELDS or name in ATTRIBUTE_FIELDS


def _plain(value: Any) -> Any:
    """Enum members are stored as their string values."""
    return str(value) if isinstance(value, str) else value


def _identifier(kind: SubjectKind, name: str, value: str, checked: CheckedFields) -> str:
    if name == "nhsa_code":
        return ids.validate_nhsa_code(value, kind)
    try:
        return _VALIDATORS[name](value)
    except ids.CheckDigitMismatch as mismatch:
        checked.check_digit_failures.append(mismatch)
        return mismatch.value


def authorise_override(
    actor: Actor,
    failures: list[ids.CheckDigitMismatch],
    *,
    override: bool,
    reason: str | None,
) -> None:
    """A code failing its check digit passes only for an admin who says so and why."""
    if override and actor.role not in OVERRIDE_ROLES:
        raise Forbidden(
            "only an admin may accept an official code that fails its check digit",
            field="override_check_digit",
            rule="admin_only",
        )
    if override and not reason:
        raise InvalidInput(
            "override_check_digit needs an override_reason saying why the code is accepted",
            field="override_reason",
            rule="required",
        )
    if failures and not override:
        first = failures[0]
        raise InvalidInput(
            f"{first.message}; an admin may accept it with override_check_digit and "
            "override_reason",
            field=first.field,
            rule=first.rule,
        )


def check_required(kind: SubjectKind, present: Mapping[str, bool]) -> None:
    """At least one of the kind's required identifiers is (still) there."""
    if kind.required_any and not any(present.get(name) for name in kind.required_any):
        raise InvalidInput(
            f"a {kind.code} ({kind.zh}) needs {' or '.join(kind.required_any)}",
            field=kind.required_any[0],
            rule="required",
        )


def defaults_for(kind: SubjectKind, columns: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults for the kind's attributes that a new subject leaves unset."""
    return {
        name: default
        for name, default in ATTRIBUTE_DEFAULTS.items()
        if name in kind.attributes and columns.get(name) is None
    }


def refuse_clearing(given: Mapping[str, Any]) -> None:
    """A change may not blank the name or a status; statuses move only by transition."""
    for name in ("name", *STATUS_FIELDS):
        if name in given and given[name] is None:
            raise InvalidInput(f"{name} cannot be cleared", field=name, rule="required")
