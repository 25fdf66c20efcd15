"""One table of allowed moves per workflow and the one check every transition goes through.

Each workflow (records, policy packs, indicator sets, runs, list entries, objections, repairs)
keeps its `StrEnum` of states, builds a `Transitions` from its table, and calls `check` inside the
single function that changes the status and writes the append-only event.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from credit.kernel.errors import Conflict

State = TypeVar("State", bound=StrEnum)


class Transitions(Generic[State]):
    """An explicit table of allowed moves; anything not in it is a 409 naming both states."""

    def __init__(self, what: str, allowed: Mapping[State, frozenset[State]]) -> None:
        self.what = what
        self.allowed = dict(allowed)

    def allows(self, current: State, to: State) -> bool:
        return to in self.allowed.get(current, frozenset())

    def targets(self, current: State) -> frozenset[State]:
        return self.allowed.get(current, frozenset())

    def check(self, current: State, to: State, identity: object) -> None:
        """Refuse a move the table does not allow, naming the thing, both states and the options."""
        if self.allows(current, to):
            return
        options = ", ".join(sorted(str(state) for state in self.targets(current))) or "nothing"
        raise Conflict(
            f"{self.what} {identity} is {current}; it cannot become {to} (allowed: {options})",
            field="status",
            rule="transition",
            extra={"current_status": str(current)},
        )
