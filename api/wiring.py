"""The composition root: connects domain packages that must not import each other.

`wire()` is idempotent and is called whenever a `Database` is opened (the app, the CLI, the
tests), so a record changed by any of them updates live scores, lists and measures in the same
transaction (see `credit.kernel.signals`).
"""

from __future__ import annotations


def wire() -> None:
    """Subscribe every reaction to changed credit information, in the order they must run."""
