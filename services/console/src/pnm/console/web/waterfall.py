"""The match explanation as a waterfall (docs/line-detail.md): each comparison's weight a bar
that starts where the previous one ended, then the total, against the indicator set's
thresholds. Pure: a list of (label, weight) in, an SVG string out, drawn on the server (no
script), every text escaped. The same figures go into a table beside it (`steps`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from math import ceil, floor, log10

# Room for the labels left of the plot, for the figures right of it, and per row.
WIDTH = 680
LABEL_WIDTH = 210
VALUE_WIDTH = 90
ROW = 26
TOP = 34  # room for the thresholds' names above the rows
AXIS = 46  # the axis, its ticks and its name below the rows
FIGURE_ROOM = 80  # what a figure with its running total needs left of a loss
LABEL_MAX = 34  # characters of a label drawn; the bar's <title> has all of it
PLACES = 3  # weights are given to three decimals: sums are rounded to them (no 0.1+0.2 drift)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Step:
    label: str
    weight: float
    start: float  # the running total before this contribution
    end: float  # ... and after it

    @property
    def low(self) -> float:
        return min(self.start, self.end)

    @property
    def high(self) -> float:
        return max(self.start, self.end)


@dataclass(frozen=True)
class Threshold:
    label: str
    value: float


def steps(contributions: Sequence[tuple[str, float]]) -> list[Step]:
    """Each contribution with the running total before and after it."""
    running = 0.0
    found = []
    for label, weight in contributions:
        end = round(running + weight, PLACES)
        found.append(Step(label, weight, running, end))
        running = end
    return found


def total(contributions: Sequence[tuple[str, float]]) -> float:
    drawn = steps(contributions)
    return drawn[-1].end if drawn else 0.0


def figure(value: float, signed: bool = False) -> str:
    """A weight as people read it: no trailing zeros, a sign on a contribution."""
    rounded = round(value, PLACES) + 0.0  # + 0.0: never "-0"
    return f"{rounded:+g}" if signed else f"{rounded:g}"


def waterfall_svg(
    contributions: Sequence[tuple[str, float]],
    *,
    chart_id: str,
    title: str,
    description: str,
    total_label: str,
    axis_label: str,
    empty_text: str,
    thresholds: Sequence[Threshold] = (),
) -> str:
    """The chart as an inline <svg> (role img, named by its <title> and <desc>)."""
    if not _ID.match(chart_id):
        raise ValueError(f"chart_id {chart_id[:40]!r}: a letter, then letters, digits, - or _")
    drawn = steps(contributions)
    rows = len(drawn) + 1 if drawn else 1
    height = TOP + rows * ROW + AXIS
    scale = _Scale(
        [0.0, *(s.end for s in drawn), *(t.value for t in thresholds)],
        LABEL_WIDTH,
        WIDTH - VALUE_WIDTH,
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="waterfall" id="{chart_id}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    bottom = TOP + rows * ROW
    parts.extend(_axis(scale, bottom, axis_label))
    parts.extend(_thresholds(scale, thresholds, bottom))
    if not drawn:
        parts.append(
            f'<text class="empty" x="{LABEL_WIDTH}" y="{TOP + ROW * 0.65:g}">'
            f"{escape(empty_text)}</text>"
        )
    for row, step in enumerate(drawn):
        parts.extend(_bar(scale, row, step, joined=row + 1 < len(drawn)))
    if drawn:
        parts.extend(_total(scale, len(drawn), total_label, drawn[-1].end))
    parts.append("</svg>")
    return "\n".join(parts)


class _Scale:
    """Weights to x: the span of the values (0 included) widened to whole ticks."""

    def __init__(self, values: Sequence[float], left: float, right: float) -> None:
        low, high = min(values), max(values)
        self.tick = _tick(high - low)
        self.low = floor(low / self.tick) * self.tick
        self.high = max(ceil(high / self.tick) * self.tick, self.low + self.tick)
        self.left, self.right = left, right

    def x(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return round(self.left + share * (self.right - self.left), 1)

    def ticks(self) -> list[float]:
        count = round((self.high - self.low) / self.tick)
        return [round(self.low + i * self.tick, PLACES) for i in range(count + 1)]


def _tick(span: float) -> float:
    """About five ticks of 1, 2 or 5 times a power of ten."""
    if span <= 0:
        return 1.0
    rough = span / 5
    power = 10.0 ** floor(log10(rough))
    return next(float(m * power) for m in (1, 2, 5, 10) if m * power >= rough)


def _axis(scale: _Scale, bottom: float, axis_label: str) -> list[str]:
    middle = (scale.left + scale.right) / 2
    parts = [
        f'<line class="axis" x1="{scale.left}" y1="{bottom}" x2="{scale.right}" y2="{bottom}"/>'
    ]
    for value in scale.ticks():
        x = scale.x(value)
        grid = "zero" if value == 0 else "grid"
        parts.append(f'<line class="{grid}" x1="{x}" y1="{TOP}" x2="{x}" y2="{bottom}"/>')
        parts.append(
            f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle">'
            f"{figure(value)}</text>"
        )
    parts.append(
        f'<text class="axis-label" x="{middle}" y="{bottom + 36}" text-anchor="middle">'
        f"{escape(axis_label)}</text>"
    )
    return parts


def _thresholds(scale: _Scale, thresholds: Sequence[Threshold], bottom: float) -> list[str]:
    parts = []
    for number, threshold in enumerate(thresholds):
        x = scale.x(threshold.value)
        name = f"{threshold.label} {figure(threshold.value)}"
        parts.append(
            f'<g class="threshold"><title>{escape(name)}</title>'
            f'<line x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{bottom}"/>'
            f'<text x="{x}" y="{TOP - 8 - 12 * (number % 2)}" text-anchor="middle">'
            f"{escape(name)}</text></g>"
        )
    return parts


def _label(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _figure_at(scale: _Scale, x: float, end: float, gain: bool) -> tuple[float, str]:
    """Where a bar's figure stands: beyond the end the bar grew to (right of a gain, left of a
    loss), unless a loss ends too near the labels; then right of it too."""
    if gain or x - scale.left < FIGURE_ROOM:
        return end + 4, "start"
    return x - 4, "end"


def _bar(scale: _Scale, row: int, step: Step, joined: bool) -> list[str]:
    y = TOP + row * ROW
    kind = "up" if step.weight >= 0 else "down"
    x, end = scale.x(step.low), scale.x(step.high)
    name = f"{step.label}: {figure(step.weight, signed=True)} → {figure(step.end)}"
    at, anchor = _figure_at(scale, x, end, gain=kind == "up")
    parts = [
        f'<g class="step {kind}"><title>{escape(name)}</title>',
        f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + ROW * 0.65:g}" text-anchor="end">'
        f"{escape(_label(step.label))}</text>",
        f'<rect x="{x}" y="{y + 4}" width="{max(end - x, 1.0):g}" height="{ROW - 8}"/>',
        f'<text class="value" x="{at:g}" y="{y + ROW * 0.65:g}" text-anchor="{anchor}">'
        f"{figure(step.weight, signed=True)} → {figure(step.end)}</text></g>",
    ]
    if joined:
        # The connector: the next bar starts where this one ended.
        join = scale.x(step.end)
        parts.append(
            f'<line class="connector" x1="{join}" y1="{y + ROW - 4}" '
            f'x2="{join}" y2="{y + ROW + 4}"/>'
        )
    return parts


def _total(scale: _Scale, row: int, total_label: str, value: float) -> list[str]:
    y = TOP + row * ROW
    x, end = scale.x(min(0.0, value)), scale.x(max(0.0, value))
    at, anchor = _figure_at(scale, x, end, gain=value >= 0)
    name = f"{total_label}: {figure(value)}"
    return [
        f'<g class="step total"><title>{escape(name)}</title>',
        f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + ROW * 0.65:g}" text-anchor="end">'
        f"{escape(_label(total_label))}</text>",
        f'<rect x="{x}" y="{y + 4}" width="{max(end - x, 1.0):g}" height="{ROW - 8}"/>',
        f'<text class="value" x="{at:g}" y="{y + ROW * 0.65:g}" text-anchor="{anchor}">'
        f"= {figure(value)}</text></g>",
    ]
