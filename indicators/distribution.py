"""Score distributions kept as counts per distinct score, so memory does not grow with subjects."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

BINS = 10


def _quantile(counts: Counter[Decimal], total: int, share: Decimal) -> Decimal:
    """The lowest score with at least `share` of the population at or below it."""
    needed = share * total
    seen = 0
    for score in sorted(counts):
        seen += counts[score]
        if seen >= needed:
            return score
    return max(counts)


def summary(counts: Counter[Decimal], scale: Decimal) -> dict[str, Any]:
    """Mean, quartiles and a ten-bin histogram over 0–scale (the last bin includes the scale)."""
    total = sum(counts.values())
    if not total:
        return {"count": 0, "mean": None, "quartiles": None, "histogram": []}
    mean = sum((score * n for score, n in counts.items()), Decimal(0)) / total
    width = scale / BINS
    histogram = [0] * BINS
    for score, n in counts.items():
        histogram[min(int(score / width), BINS - 1)] += n
    return {
        "count": total,
        "mean": str(mean.quantize(Decimal("0.01"))),
        "min": str(min(counts)),
        "max": str(max(counts)),
        "quartiles": [str(_quantile(counts, total, Decimal(q) / 4)) for q in (1, 2, 3)],
        "histogram": [
            {"from": str(width * index), "to": str(width * (index + 1)), "count": histogram[index]}
            for index in range(BINS)
        ],
    }
