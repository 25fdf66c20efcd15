"""The composition root: connects domain packages that must not import each other.

`wire()` is idempotent and is called by the app factory, the CLI and the tests, so a record
changed by any of them updates live scores, lists and measures in the same transaction.
"""

from __future__ import annotations

from credit.kernel import signals


def wire() -> None:
    """Subscribe every reaction to changed credit information, in the order they must run."""
    del signals  # reactions are added here as the packages that react are built
