"""Charts drawn on the server as SVG: no script, no CDN, readable by a screen reader (each chart
has a title and a description, and the page shows the same figures in a table). Every value
enters through `Markup.format`, which escapes it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 560, 220, 36

_SVG = Markup(
    '<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
    'xmlns="http://www.w3.org/2000/svg"><title>{title}</title><desc>{desc}</desc>{body}</svg>'
)
_POINT = Markup(
    '<circle cx="{x:.1f}" cy="{y:.1f}" r="4"/>'
    '<text x="{x:.1f}" y="{above:.1f}" text-anchor="middle">{value}</text>'
    '<text x="{x:.1f}" y="{base}" text-anchor="middle">{label}</text>'
)
_LINE = Markup(
    '<line x1="{pad}" y1="{axis}" x2="{end}" y2="{axis}" stroke="#767676"/>'
    '<polyline points="{points}" fill="none" stroke="#0b4f8a" stroke-width="2"/>'
    '<g fill="#0b4f8a" font-size="12">{marks}</g>'
)
_BAR = Markup(
    '<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"/>'
    '<text x="{middle:.1f}" y="{above:.1f}" text-anchor="middle">{count}</text>'
    '<text x="{middle:.1f}" y="{base}" text-anchor="middle">{label}</text>'
)
_BARS = Markup('<g fill="#0b4f8a" font-size="12">{bars}</g>')


def _svg(title: str, description: str, body: Markup) -> Markup:
    return _SVG.format(width=WIDTH, height=HEIGHT, title=title, desc=description, body=body)


def line_chart(points: Sequence[tuple[str, Decimal | float]], top: float, title: str) -> Markup:
    """Values over labelled steps (e.g. a score across cycles), on a 0–`top` scale."""
    if not points:
        return Markup("")
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(1, len(points) - 1)
    coords = []
    for index, (_, value) in enumerate(points):
        share = min(max(float(value) / top, 0.0), 1.0) if top else 0.0
        coords.append((PAD + index * step, PAD + inner_h * (1 - share)))
    marks = Markup("").join(
        _POINT.format(x=x, y=y, above=y - 8, base=HEIGHT - 10, value=str(value), label=label)
        for (x, y), (label, value) in zip(coords, points, strict=True)
    )
    body = _LINE.format(
        pad=PAD,
        axis=HEIGHT - PAD,
        end=WIDTH - PAD,
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
        marks=marks,
    )
    return _svg(title, "; ".join(f"{label}: {value}" for label, value in points), body)


def bar_chart(bars: Sequence[tuple[str, int]], title: str) -> Markup:
    """Counts per category (e.g. subjects per grade)."""
    if not bars:
        return Markup("")
    top = max(count for _, count in bars) or 1
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    slot = inner_w / len(bars)
    width = slot * 0.6
    shapes = []
    for index, (label, count) in enumerate(bars):
        height = inner_h * count / top
        x = PAD + index * slot + (slot - width) / 2
        y = PAD + inner_h - height
        shapes.append(
            _BAR.format(
                x=x,
                y=y,
                width=width,
                height=height,
                middle=x + width / 2,
                above=y - 6,
                base=HEIGHT - 10,
                count=count,
                label=label,
            )
        )
    body = _BARS.format(bars=Markup("").join(shapes))
    return _svg(title, "; ".join(f"{label}: {count}" for label, count in bars), body)
