"""Bar charts over time as inline SVG, drawn here: smaller than any charting library, no script, and
readable without JavaScript (each bar has a tooltip, and the page lists the numbers too)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape

WIDTH, HEIGHT = 360, 120
_LEFT, _RIGHT, _TOP, _BOTTOM = 62, 8, 10, 24


def short_usd(value: float) -> str:
    """Dollars to two significant digits, for an axis: `$0.00045`, `$1.2`."""
    if value <= 0:
        return "$0"
    digits = max(0, 1 - math.floor(math.log10(value)))
    return f"${value:.{digits}f}"


def time_label(ns: int, bucket_seconds: int) -> str:
    moment = datetime.fromtimestamp(ns / 1e9, tz=UTC)
    return moment.strftime("%b %d" if bucket_seconds >= 86400 else "%b %d %H:%M")


def bar_chart(
    title: str,
    bars: Sequence[tuple[int, float | None, str]],
    *,
    bucket_seconds: int,
    colour: str,
    axis_label: Callable[[float], str],
    css: str,
) -> str:
    """`bars`: (bucket start ns, value or None for no data, tooltip) in time order."""
    values = [v for _, v, _ in bars if v is not None]
    top = max(values, default=0.0) or 1.0
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    step = plot_w / max(1, len(bars))
    parts = [
        f'<svg class="chart {css}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{WIDTH - _RIGHT}" y2="{_TOP + plot_h}" class="axis"/>',
        f'<text x="{_LEFT - 4}" y="{_TOP + 4}" class="tick" text-anchor="end">{escape(axis_label(top))}</text>',
        f'<text x="{_LEFT - 4}" y="{_TOP + plot_h}" class="tick" text-anchor="end">{escape(axis_label(0))}</text>',
    ]
    for i, (start, value, tip) in enumerate(bars):
        if value is None:
            continue
        height = max(1.0, value / top * plot_h) if value > 0 else 1.0
        x, y = _LEFT + i * step + step * 0.1, _TOP + plot_h - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(1.0, step * 0.8):.1f}" height="{height:.1f}" fill="{colour}"'
            f' data-start="{start}" data-value="{value!r}"><title>{escape(tip)}</title></rect>'
        )
    if bars:
        first, last = bars[0][0], bars[-1][0]
        label_y = HEIGHT - 8
        parts.append(f'<text x="{_LEFT}" y="{label_y}" class="tick">{escape(time_label(first, bucket_seconds))}</text>')
        parts.append(
            f'<text x="{WIDTH - _RIGHT}" y="{label_y}" class="tick" text-anchor="end">'
            f"{escape(time_label(last, bucket_seconds))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["bar_chart", "short_usd", "time_label"]
