"""The composition root: connects domain packages that must not import each other.

`wire()` is idempotent and is called whenever a `Database` is opened (the app, the CLI, the
tests), so a record changed by any of them updates live scores, lists and measures in the same
transaction (see `credit.kernel.signals`).
"""

from __future__ import annotations

from credit.kernel import signals
from credit.lists import candidates
from indicators import live, points_status, standing


def wire() -> None:
    """Subscribe every reaction to changed credit information, in the order they must run."""
    # Points first: a status they change (termination) is what lists and scores read next.
    signals.subscribe("points", points_status.on_subjects_changed)
    signals.subscribe("live_score", live.on_subjects_changed)
    # A new negative record ends red entries and may propose record-based list candidates.
    signals.subscribe("red_list", candidates.on_records_changed)
    # Measures and list candidates follow grades, lists, points and qualification status.
    signals.subscribe("standing", standing.on_subjects_changed)
