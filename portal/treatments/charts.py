"""Server-rendered SVG charts: no script, no inline style (the CSP forbids both).

Each chart states the number of reports behind it inside the image itself, so a
copied chart keeps its denominator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from portal.treatments.aggregates import ChartPoint

INK, MUTED, BAR, WORSE, GRID = "#1f2933", "#616e7c", "#2f6f9f", "#b5452f", "#d9dee3"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def _reports(n: int) -> str:
    return f"{n} report{'' if n == 1 else 's'}"


def effectiveness_bars(cells: Sequence[Mapping[str, Any]], reports: int, title: str) -> Markup:
    """Horizontal bars, one per published group of ratings, each labelled with its count."""
    width, row, left, top = 520, 30, 130, 40
    height = top + row * len(cells) + 30
    longest = max((cell["count"] for cell in cells), default=0) or 1
    span = width - left - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="bars-title bars-desc">',
        f'<title id="bars-title">{escape(title)}</title>',
        '<desc id="bars-desc">'
        + escape("; ".join(f"{cell['label']}: {cell['count']}" for cell in cells))
        + f" ({_reports(reports)})</desc>",
        f'<text x="4" y="18" fill="{INK}" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for index, cell in enumerate(cells):
        label, count = cell["label"], cell["count"]
        y = top + index * row
        length = span * count / longest
        colour = WORSE if list(cell["answers"]) == ["worse"] else BAR
        parts.append(
            f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" fill="{INK}" '
            f'font-size="13">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{_n(length)}" height="{row - 10}" '
            f'fill="{colour}"><title>{escape(label)}: {count}</title></rect>'
        )
        parts.append(
            f'<text x="{_n(left + length + 6)}" y="{y + 18}" fill="{INK}" '
            f'font-size="13" class="count">{count}</text>'
        )
    parts.append(
        f'<text x="4" y="{height - 6}" fill="{MUTED}" font-size="12">'
        f"n = {_reports(reports)}. Self-reports, not trial evidence.</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def effectiveness_vs_popularity(points: Sequence[ChartPoint], title: str) -> Markup:
    """CureTogether's view: x = members who reported it, y = the share it helped."""
    width, height = 640, 400
    left, right, top, bottom = 96, 30, 40, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max((p.reporters for p in points), default=1)
    x_max = max(5, most + (-most % 5))
    reports = sum(p.reporters for p in points)

    def x(value: float) -> float:
        return left + plot_w * value / x_max

    def y(share: float) -> float:
        return top + plot_h * (1.0 - share)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="scatter-title scatter-desc">',
        f'<title id="scatter-title">{escape(title)}</title>',
        '<desc id="scatter-desc">'
        + escape(
            "; ".join(
                f"{p.treatment.name}: {p.reporters} members, {_percent(p.share_helped)} helped"
                for p in points
            )
        )
        + f" ({_reports(reports)})</desc>",
        f'<text x="4" y="18" fill="{INK}" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{_n(y(share))}" '
            f'y2="{_n(y(share))}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{_n(y(share) + 4)}" text-anchor="end" '
            f'fill="{MUTED}" font-size="11">{_percent(share)} helped</text>'
        )
    for tick in range(0, x_max + 1, max(1, x_max // 5)):
        parts.append(
            f'<text x="{_n(x(tick))}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="11">{tick}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}" stroke="{INK}"/>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h + 34}" '
        f'text-anchor="middle" fill="{INK}" font-size="12">Popularity: members who '
        f"reported it</text>"
    )
    for point in points:
        cx, cy = x(point.reporters), y(point.share_helped)
        colour = WORSE if point.share_helped < 0.5 else BAR
        parts.append(
            f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="6" fill="{colour}">'
            f"<title>{escape(point.treatment.name)}: {point.reporters} members, "
            f"{_percent(point.share_helped)} helped</title></circle>"
        )
        anchor = "end" if cx > left + plot_w * 0.75 else "start"
        dx = -9 if anchor == "end" else 9
        parts.append(
            f'<text x="{_n(cx + dx)}" y="{_n(cy + 4)}" text-anchor="{anchor}" '
            f'fill="{INK}" font-size="11">{escape(point.treatment.name)}</text>'
        )
    parts.append(
        f'<text x="4" y="{height - 8}" fill="{MUTED}" font-size="12">'
        f"n = {_reports(reports)} across {len(points)} treatment"
        f"{'' if len(points) == 1 else 's'}. Self-reports, not trial evidence.</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))
