"""Charts of the report pages as inline SVG drawn on the server: no JavaScript, no
library. Each chart has a viewBox and no fixed size, so it scales to the width of a
360-px phone or of a printed A4 page; a <title> and a <desc> name and describe it for
screen readers (the page also gives its numbers as a table); and it never relies on
colour alone: every bar and point carries its number as text, bars short of their
target are hatched and say so, the line's points are marked with a shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 320  # about one viewBox unit a CSS pixel on a 360-px phone
FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,Noto Sans,Arial,sans-serif"'
INK = "#1b1b1b"
BAR = "#0b4f9c"
TRACK = "#e5e7eb"
TARGET = "#a3150f"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # percent, 0–100
    text: str  # the value as the page writes it, with any note ("62,50% – thiếu 27,50")
    target: float | None = None  # percent
    behind: bool = False  # short of its target: hatched


@dataclass(frozen=True)
class Point:
    label: str  # the month under its bar ("3/26")
    count: int
    ratio: float | None  # percent; None: nothing to compare in that month


def _x(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _header(ident: str, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} '
        f'{_x(height)}" width="100%" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'{FONT} font-size="12" fill="{INK}">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
        "<defs>",
        f'<pattern id="{ident}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#c9d8ee"/><rect width="2.5" height="6" fill="{BAR}"/>'
        "</pattern>",
        "</defs>",
    ]


def _bar_legend(ident: str, y: float, left: float, met: str, behind: str, target: str) -> list[str]:
    return [
        f'<rect x="{left}" y="{y + 2}" width="14" height="10" fill="{BAR}"/>',
        f'<text x="{left + 19}" y="{y + 11}">{escape(met)}</text>',
        f'<rect x="{left + 180}" y="{y + 2}" width="14" height="10" '
        f'fill="url(#{ident}-hatch)" stroke="{BAR}"/>',
        f'<text x="{left + 199}" y="{y + 11}">{escape(behind)}</text>',
        f'<line x1="{left + 7}" x2="{left + 7}" y1="{y + 18}" y2="{y + 32}" '
        f'stroke="{TARGET}" stroke-width="2.5" stroke-dasharray="3 2"/>',
        f'<text x="{left + 19}" y="{y + 29}">{escape(target)}</text>',
    ]


def bar_chart(
    *,
    ident: str,
    title: str,
    desc: str,
    bars: list[Bar],
    legend_met: str,
    legend_behind: str,
    legend_target: str,
) -> SafeString:
    """Horizontal bars 0–100%, one a row: the name and the number on a line, the bar
    under it with its target as a dashed tick."""
    pad, left, right = 4.0, 4.0, WIDTH - 4.0
    span = right - left
    targets = any(bar.target is not None for bar in bars)
    legend_h = 40.0 if targets else 0.0
    row = 38.0
    axis_h = 18.0
    height = pad + legend_h + row * len(bars) + axis_h + pad
    out = _header(ident, height, title, desc)
    # Legend: solid = met (or no target), hatched = behind, dashed tick = target.
    y = pad
    if targets:
        out.extend(_bar_legend(ident, y, left, legend_met, legend_behind, legend_target))
    y += legend_h
    for bar in bars:
        value = max(0.0, min(100.0, bar.value))
        out.append("<g>")
        out.append(f'<text x="{left}" y="{_x(y + 12)}">{escape(bar.label)}</text>')
        out.append(
            f'<text x="{right}" y="{_x(y + 12)}" text-anchor="end" font-weight="600">'
            f"{escape(bar.text)}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{_x(y + 17)}" width="{_x(span)}" height="14" fill="{TRACK}"/>'
        )
        fill = f"url(#{ident}-hatch)" if bar.behind else BAR
        width = span * value / 100
        if width > 0:
            out.append(
                f'<rect x="{left}" y="{_x(y + 17)}" width="{_x(width)}" height="14" '
                f'fill="{fill}" stroke="{BAR}" stroke-width="0.8"/>'
            )
        if bar.target is not None:
            tx = left + span * max(0.0, min(100.0, bar.target)) / 100
            out.append(
                f'<line x1="{_x(tx)}" x2="{_x(tx)}" y1="{_x(y + 14)}" y2="{_x(y + 34)}" '
                f'stroke="{TARGET}" stroke-width="2.5" stroke-dasharray="3 2"/>'
            )
        out.append("</g>")
        y += row
    # The scale under the bars.
    for percent in (0, 25, 50, 75, 100):
        x = left + span * percent / 100
        anchor = "start" if percent == 0 else "end" if percent == 100 else "middle"
        out.append(
            f'<line x1="{_x(x)}" x2="{_x(x)}" y1="{_x(y)}" y2="{_x(y + 4)}" stroke="{INK}"/>'
        )
        out.append(
            f'<text x="{_x(x)}" y="{_x(y + 15)}" text-anchor="{anchor}" font-size="11">'
            f"{percent}%</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # every text in it is escaped


def _nice_max(value: int) -> int:
    """A round top for the count axis: 1, 2, 5 × 10^n at or above value."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def trend_chart(
    *,
    ident: str,
    title: str,
    desc: str,
    points: list[Point],
    count_label: str,
    ratio_label: str,
    format_count: object = str,
) -> SafeString:
    """Month by month: a bar for the dossiers counted (left scale) and a line with
    square markers for the indicator's ratio (right scale, 0–100%)."""
    x0, x1, y0, y1 = 34.0, WIDTH - 36.0, 14.0, 164.0
    height = 232.0
    out = _header(ident, height, title, desc)
    top = _nice_max(max((p.count for p in points), default=0))
    n = max(1, len(points))
    slot = (x1 - x0) / n
    label_step = max(1, math.ceil(n / 12))
    show_counts = n <= 12

    def cy(count: float) -> float:
        return y1 - (y1 - y0) * count / top

    def ry(ratio: float) -> float:
        return y1 - (y1 - y0) * max(0.0, min(100.0, ratio)) / 100

    # Grid and both scales.
    for share in (0, 0.5, 1):
        y = y1 - (y1 - y0) * share
        out.append(
            f'<line x1="{x0}" x2="{x1}" y1="{_x(y)}" y2="{_x(y)}" stroke="#c0c4ca" '
            'stroke-width="0.8"/>'
        )
        count = top * share
        if count == int(count):  # no "2.5 dossiers" on the scale
            out.append(
                f'<text x="{x0 - 4}" y="{_x(y + 4)}" text-anchor="end" font-size="10">'
                f"{escape(format_count(int(count)))}</text>"  # type: ignore[operator]
            )
        out.append(f'<text x="{x1 + 4}" y="{_x(y + 4)}" font-size="10">{int(share * 100)}%</text>')
    # Bars.
    for index, point in enumerate(points):
        cx = x0 + slot * (index + 0.5)
        width = max(2.0, slot * 0.56)
        if point.count:
            y = cy(point.count)
            out.append(
                f'<rect x="{_x(cx - width / 2)}" y="{_x(y)}" width="{_x(width)}" '
                f'height="{_x(y1 - y)}" fill="#9db7dc" stroke="{BAR}" stroke-width="0.8"/>'
            )
        if show_counts:
            out.append(
                f'<text x="{_x(cx)}" y="{_x(cy(point.count) - 3)}" text-anchor="middle" '
                f'font-size="10">{escape(format_count(point.count))}</text>'  # type: ignore[operator]
            )
        if index % label_step == 0:
            out.append(
                f'<text x="{_x(cx)}" y="{_x(y1 + 14)}" text-anchor="middle" font-size="10">'
                f"{escape(point.label)}</text>"
            )
    # The ratio line, broken where a month has nothing to compare.
    runs: list[list[tuple[float, float]]] = [[]]
    for index, point in enumerate(points):
        if point.ratio is None:
            runs.append([])
            continue
        runs[-1].append((x0 + slot * (index + 0.5), ry(point.ratio)))
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{_x(x)},{_x(y)}" for x, y in run)
            out.append(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="2"/>')
        for x, y in run:
            out.append(
                f'<rect x="{_x(x - 3.5)}" y="{_x(y - 3.5)}" width="7" height="7" fill="#fff" '
                f'stroke="{INK}" stroke-width="2"/>'
            )
    # Legend: a bar sample and a line sample with its marker, each on its line.
    ly = y1 + 30
    out.append(
        f'<rect x="{x0}" y="{_x(ly)}" width="14" height="12" fill="#9db7dc" stroke="{BAR}"/>'
    )
    out.append(f'<text x="{x0 + 20}" y="{_x(ly + 10)}">{escape(count_label)}</text>')
    ly += 20
    out.append(
        f'<line x1="{x0 - 2}" x2="{x0 + 16}" y1="{_x(ly + 6)}" y2="{_x(ly + 6)}" '
        f'stroke="{INK}" stroke-width="2"/>'
    )
    out.append(
        f'<rect x="{x0 + 3.5}" y="{_x(ly + 2.5)}" width="7" height="7" fill="#fff" '
        f'stroke="{INK}" stroke-width="2"/>'
    )
    out.append(f'<text x="{x0 + 20}" y="{_x(ly + 10)}">{escape(ratio_label)}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # every text in it is escaped
