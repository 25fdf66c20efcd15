"""What a subject's standing is, and which measure triggers it makes true.

The evaluation layer gathers standings (grades and points live there); this package only reads
them, so the credit layer never imports `indicators`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from credit.policy.lists import Trigger
from credit.policy.vocabulary import ListName


@dataclass(frozen=True, slots=True)
class Standing:
    """One subject as measures see it; a field left at its default does not trigger anything."""

    subject_id: int
    kind: str
    grade: str | None = None  # of the latest published result
    grade_cycle: str | None = None
    grade_run_id: int | None = None
    lists: Mapping[ListName, int | None] = field(default_factory=dict)  # entry id where known
    points: int = 0  # personnel points this natural year
    points_year: int | None = None
    qualification_status: str | None = None  # suspended / terminated, None or normal otherwise


def held_triggers(trigger: Trigger, standing: Standing) -> list[str]:
    """Each condition of `trigger` that holds, described; any one is enough to apply it.

    A trigger lists alternatives (the catalog's "grade C or D, or the focus list"), unlike a list
    criterion, whose conditions must all hold.
    """
    held: list[str] = []
    if standing.grade is not None and standing.grade in trigger.grades:
        held.append(f"grade:{standing.grade}@{standing.grade_cycle}")
    for name in trigger.lists:
        if name in standing.lists:
            entry = standing.lists[name]
            held.append(f"list:{name}#entry {entry}" if entry else f"list:{name}")
    status = standing.qualification_status
    if status is not None and status in trigger.qualification_statuses:
        held.append(f"qualification:{status}")
    if trigger.min_points is not None and standing.points >= trigger.min_points:
        held.append(f"points:{standing.points}@{standing.points_year}")
    return held


def trigger_basis(trigger: str) -> str:
    """The occasion a trigger stands for: points of one year are one occasion however they grow.

    A measure whose duration ran out is not started again for the same occasion.
    """
    if trigger.startswith("points:"):
        return "points@" + trigger.partition("@")[2]
    return trigger
