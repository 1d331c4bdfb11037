"""The overview's charts as server-side SVG (pure: figures in, an SVG string out; no script).
Each chart names itself in <title> and <desc> for screen readers; the page shows the same
figures as a table next to it (WCAG 2.1 AA, docs/kpis.md). Colours are CSS classes
(`series-0`, ...: console.css), each at least 3:1 against the white background."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 170  # the bars' names, left of the bars
VALUE_ROOM = 60  # right of the longest bar: its figure
ROW = 26
TOP = 10
AXIS = 40  # below the plot: ticks and the axis label
LEGEND_ROW = 20
LABEL_CHARS = 24  # a longer name is cut (the table beside the chart has it whole)
SERIES_CLASSES = 8
TICKS = 4


@dataclass(frozen=True)
class Bar:
    """One bar: its name and its parts (one part: a plain bar; more: a stacked bar, the parts
    in the order of the chart's series)."""

    label: str
    parts: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.parts)


def axis(top: float, whole: bool = True) -> tuple[float, float]:
    """The axis' end and its step between ticks: a step of 1, 2 or 5 times a power of ten (at
    least 1 for counts: no tick at half a hold), about four steps up to `top` or past it. An
    empty chart still has an axis, to 1."""
    if top <= 0:
        return 1.0, 1.0 if whole else 0.5
    rough = top / TICKS
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if rough <= m * power * (1 + 1e-9))
    if whole:
        step = max(step, 1.0)
    return step * math.ceil(top / step - 1e-9), float(step)


def ticks(end: float, step: float) -> list[float]:
    return [step * n for n in range(round(end / step) + 1)]


def figure(value: float) -> str:
    """A figure as a chart writes it: whole numbers without decimals, others with one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def tick_figure(value: float) -> str:
    """A tick's figure: as few digits as it needs (0.5, 2, 0.02), never a float's noise."""
    return f"{value:.6g}"


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _ident(key: str) -> str:
    return "chart-" + re.sub(r"[^a-z0-9-]", "-", key.lower())


def _frame(key: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    ident = _ident(key)
    head = (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}"'
        f' role="img" aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _tone(tones: Sequence[str], index: int) -> str:
    """The CSS class of the `index`-th series: the caller's, else one of the palette's."""
    if index < len(tones) and re.fullmatch(r"[a-z0-9_-]+", tones[index]):
        return tones[index]
    return f"series-{index % SERIES_CLASSES}"


def _legend(series: Sequence[str], tones: Sequence[str], y: float) -> tuple[list[str], int]:
    """The series' swatches and names below the plot, wrapped to the width; and its rows."""
    if len(series) < 2:
        return [], 0
    parts: list[str] = []
    x, row = 10.0, 0
    for index, name in enumerate(series):
        room = 24 + 7.5 * len(_cut(name))
        if x > 10 and x + room > WIDTH:
            x, row = 10.0, row + 1
        top = y + row * LEGEND_ROW
        parts.append(
            f'<rect class="{_tone(tones, index)}" x="{x:.1f}" y="{top:.1f}"'
            ' width="12" height="12"/>'
            f'<text class="legend" x="{x + 16:.1f}" y="{top + 11:.1f}">{escape(_cut(name))}</text>'
        )
        x += room
    return parts, row + 1


def bars(
    key: str,
    title: str,
    desc: str,
    rows: Sequence[Bar],
    axis_label: str,
    series: Sequence[str] = (),
    tones: Sequence[str] = (),
    whole: bool = True,
) -> Markup:
    """Horizontal bars, one row per bar, stacked when a bar has several parts (`series` names
    them, in order, for the legend; `tones` are their CSS classes, else the palette's; `whole`:
    the figures are counts)."""
    plot = WIDTH - LABEL_WIDTH - VALUE_ROOM
    end, step = axis(max((bar.total for bar in rows), default=0.0), whole)
    height_plot = max(len(rows), 1) * ROW
    body: list[str] = []
    for value in ticks(end, step):
        x = LABEL_WIDTH + plot * value / end
        body.append(
            f'<line class="grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + height_plot}"/>'
            f'<text class="tick" x="{x:.1f}" y="{TOP + height_plot + 16}"'
            f' text-anchor="middle">{escape(tick_figure(value))}</text>'
        )
    for index, bar in enumerate(rows):
        y = TOP + index * ROW
        body.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + ROW / 2 + 5:.1f}"'
            f' text-anchor="end">{escape(_cut(bar.label))}</text>'
        )
        x = float(LABEL_WIDTH)
        for part, value in enumerate(bar.parts):
            if value <= 0:
                continue
            width = plot * value / end
            body.append(
                f'<rect class="{_tone(tones, part)}" x="{x:.1f}" y="{y + 4}"'
                f' width="{width:.1f}" height="{ROW - 8}"/>'
            )
            x += width
        body.append(
            f'<text class="value" x="{x + 6:.1f}" y="{y + ROW / 2 + 5:.1f}">'
            f"{escape(figure(bar.total))}</text>"
        )
    bottom = TOP + height_plot + AXIS
    body.append(
        f'<text class="axis" x="{LABEL_WIDTH + plot / 2:.1f}" y="{bottom - 6}"'
        f' text-anchor="middle">{escape(axis_label)}</text>'
    )
    legend, legend_rows = _legend(series, tones, bottom)
    body.extend(legend)
    return _frame(key, title, desc, bottom + legend_rows * LEGEND_ROW + 4, body)


def columns(
    key: str,
    title: str,
    desc: str,
    points: Sequence[tuple[str, float]],
    axis_label: str,
    label_every: int = 1,
) -> Markup:
    """Vertical columns of counts in order (e.g. per hour); every `label_every`-th one is
    named below, counted back from the last (the current hour always has its name)."""
    left, plot_height, gap = 50, 160, 2
    plot = WIDTH - left - 10
    end, step = axis(max((value for _, value in points), default=0.0))
    slot = plot / max(len(points), 1)
    body: list[str] = []
    for value in ticks(end, step):
        y = TOP + plot_height - plot_height * value / end
        body.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}"'
            f' text-anchor="end">{escape(tick_figure(value))}</text>'
        )
    for index, (name, value) in enumerate(points):
        x = left + index * slot
        height = plot_height * value / end
        if value > 0:
            body.append(
                f'<rect class="series-0" x="{x + gap:.1f}" y="{TOP + plot_height - height:.1f}"'
                f' width="{max(slot - 2 * gap, 1):.1f}" height="{height:.1f}"/>'
            )
        if (len(points) - 1 - index) % max(label_every, 1) == 0:
            body.append(
                f'<text class="tick" x="{x + slot / 2:.1f}" y="{TOP + plot_height + 16}"'
                f' text-anchor="middle">{escape(_cut(name))}</text>'
            )
    bottom = TOP + plot_height + AXIS
    body.append(
        f'<text class="axis" x="{left + plot / 2:.1f}" y="{bottom - 6}"'
        f' text-anchor="middle">{escape(axis_label)}</text>'
    )
    return _frame(key, title, desc, bottom, body)
