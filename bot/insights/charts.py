"""The analytics' charts as small hand-made SVG, rendered on the server.

Two shapes cover every chart the console shows: horizontal bars (a count per label) and
stacked columns per day (a count per day and series). They are a few dozen lines each, need
no JavaScript and no charting library, and print and scale like text. Every chart carries a
title for screen readers, and the page shows the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from xml.sax.saxutils import escape

PALETTE = ("#1f5fa8", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#5d6d7e")
"""Series colours, distinguishable in grey too; the legend names each one in words."""

BAR_HEIGHT = 22
LABEL_WIDTH = 260
CHART_WIDTH = 640


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _svg(title: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-label="{_attr(title)}" class="chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _shorten(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bars(title: str, items: Sequence[tuple[str, int]]) -> str:
    """Horizontal bars, one per (label, count), longest first as given."""
    top = max((count for _label, count in items), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 60
    body: list[str] = []
    for row, (label, count) in enumerate(items):
        y = row * (BAR_HEIGHT + 6)
        length = round(span * count / top)
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(_shorten(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}" font-size="13">{count}</text>'
        )
    height = max(len(items), 1) * (BAR_HEIGHT + 6)
    return _svg(title, CHART_WIDTH, height, body)


def daily(title: str, days: Sequence[date], series: Mapping[str, Sequence[int]]) -> str:
    """Stacked columns, one per day, a colour per series (named in the legend)."""
    names = list(series)
    totals = [sum(series[name][i] for name in names) for i in range(len(days))]
    top = max(totals, default=0) or 1
    plot_height, left, bottom = 200, 40, 40
    step = (CHART_WIDTH - left) / max(len(days), 1)
    width = max(step * 0.8, 1.0)
    body = [
        f'<text x="{left - 6}" y="12" text-anchor="end" font-size="12">{top}</text>',
        f'<text x="{left - 6}" y="{plot_height}" text-anchor="end" font-size="12">0</text>',
        f'<line x1="{left}" y1="{plot_height}" x2="{CHART_WIDTH}" y2="{plot_height}" '
        'stroke="#555"/>',
    ]
    for i, day in enumerate(days):
        x = left + i * step
        base = float(plot_height)
        for n, name in enumerate(names):
            count = series[name][i]
            if not count:
                continue
            size = plot_height * count / top
            base -= size
            body.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{width:.1f}" height="{size:.1f}" '
                f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(name)} '
                f"{day.isoformat()}: {count}</title></rect>"
            )
    if days:
        for i in sorted({0, len(days) - 1}):
            body.append(
                f'<text x="{left + i * step:.1f}" y="{plot_height + 16}" font-size="12">'
                f"{days[i].strftime('%d/%m')}</text>"
            )
    for n, name in enumerate(names):
        x = left + n * 120
        body.append(
            f'<rect x="{x}" y="{plot_height + 24}" width="12" height="12" '
            f'fill="{PALETTE[n % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="{plot_height + 35}" font-size="12">{escape(name)}</text>'
        )
    return _svg(title, CHART_WIDTH, plot_height + bottom, body)
