"""Who is acting: every service call that changes state names its actor for the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    REVIEWER = "reviewer"
    SUBJECT = "subject"
    PARTNER = "partner"
    SYSTEM = "system"


REGULATOR_ROLES = frozenset({Role.ADMIN, Role.OFFICER, Role.REVIEWER})


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated account, an API key's agency, or the system itself (CLI, jobs)."""

    role: Role
    name: str
    account_id: int | None = None
    subject_id: int | None = None
    api_key_id: int | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def is_regulator(self) -> bool:
        return self.role in REGULATOR_ROLES

    @property
    def sees_personal_identifiers(self) -> bool:
        """Regulators and partners holding the `pii` scope see identifiers unmasked."""
        return self.is_regulator or self.role is Role.SYSTEM or "pii" in self.scopes


SYSTEM_ACTOR = Actor(role=Role.SYSTEM, name="system")
