"""The overview's SVG charts (web/kpi_charts.py): well-formed, named for screen readers, text
escaped, empty data drawn as an empty axis, bars scaled to a round axis end."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from pnm.console.web.kpi_charts import WIDTH, Bar, axis, bars, columns
from pnm.console.web.kpis import arrivals_chart

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bars_have_title_desc_and_escaped_text() -> None:
    hostile = '<script>alert("x")</script> & co'
    svg = bars("t<1>", "Holds & more", hostile, [Bar(hostile, (3.0,))], "axis <b>")
    assert "<script>" not in svg and "<b>" not in svg
    root = parsed(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Holds & more"
    assert desc is not None and desc.text == hostile
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert '"' not in (root.get("aria-labelledby") or "") and "<" not in (title.get("id") or "")
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == [hostile[:23] + "…"]  # cut; the table beside the chart has it whole


def test_empty_data_draws_an_axis_and_no_bar() -> None:
    for svg in (bars("e", "Empty", "nothing", [], "n"), columns("c", "Empty", "nothing", [], "h")):
        root = parsed(svg)
        assert [r for r in root.iter(f"{SVG}rect")] == []
        ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
        assert ticks[0] == "0" and ticks[-1] == "1"


@pytest.mark.parametrize(
    ("top", "whole", "end", "step"),
    [
        (0, True, 1, 1),
        (1, True, 1, 1),  # counts: no tick at half a hold
        (3, True, 3, 1),
        (5, True, 6, 2),
        (12, True, 15, 5),
        (23, True, 30, 10),
        (130, True, 150, 50),
        (0.4, False, 0.4, 0.1),
        (0.1, False, 0.1, 0.05),
    ],
)
def test_axis_ends_at_a_round_step(top: float, whole: bool, end: float, step: float) -> None:
    assert axis(top, whole) == pytest.approx((end, step))


def test_ticks_are_written_without_float_noise() -> None:
    root = parsed(bars("f", "F", "d", [Bar("A", (0.3,))], "min", whole=False))
    written = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert written == ["0", "0.1", "0.2", "0.3"]


def test_bars_scale_to_the_axis_and_stack_their_parts() -> None:
    svg = bars(
        "s",
        "Stacked",
        "d",
        [Bar("A", (10.0, 5.0)), Bar("B", (20.0, 0.0))],
        "n",
        ["x", "y"],
        ["tone-x"],
    )
    rects = list(parsed(svg).iter(f"{SVG}rect"))
    plotted = [r for r in rects if float(r.get("height", 0)) > 12]
    widths = [float(r.get("width", 0)) for r in plotted]
    # The axis ends at 20: B's bar fills the plot, A's parts are half and a quarter of it.
    assert widths[0] == pytest.approx(widths[2] / 2, abs=0.1)
    assert widths[1] == pytest.approx(widths[2] / 4, abs=0.1)
    assert float(plotted[1].get("x", 0)) == pytest.approx(
        float(plotted[0].get("x", 0)) + widths[0], abs=0.1
    )
    # The first series takes the caller's class, the second the palette's; both in the legend.
    assert [r.get("class") for r in plotted] == ["tone-x", "series-1", "tone-x"]
    legend = [t.text for t in parsed(svg).iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["x", "y"]


def test_a_class_that_is_not_a_plain_name_is_not_written() -> None:
    svg = bars("s", "S", "d", [Bar("A", (1.0,))], "n", tones=['x" onload="alert(1)'])
    assert "onload" not in svg


def test_columns_in_order_with_heights_to_scale() -> None:
    points = [("08", 2.0), ("09", 0.0), ("10", 4.0)]
    root = parsed(columns("d", "Decisions", "d", points, "hour"))
    every_other = parsed(columns("d", "Decisions", "d", points, "hour", label_every=2))
    rects = list(root.iter(f"{SVG}rect"))
    assert len(rects) == 2  # an hour without decisions has no column, only its name
    heights = [float(r.get("height", 0)) for r in rects]
    assert heights[0] == pytest.approx(heights[1] / 2, abs=0.1)
    assert float(rects[0].get("x", 0)) < float(rects[1].get("x", 0)) < WIDTH
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[-3:] == ["08", "09", "10"]
    named = [t.text for t in every_other.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert named[-2:] == ["08", "10"]  # counted back from the last: the current hour is named


def test_arrivals_stack_by_status_and_keep_an_unknown_status() -> None:
    rows: list[dict[str, Any]] = [
        {"bcp": "NLRTM", "status": "notified", "lines": 3},
        {"bcp": "NLRTM", "status": "unnotified", "lines": 1},
        {"bcp": "NLAMS", "status": None, "lines": 2},
        {"bcp": "NLAMS", "status": "future_status", "lines": 4},
    ]
    root = parsed(arrivals_chart(rows, 48, "en"))
    bars_drawn = [r.get("class") for r in root.iter(f"{SVG}rect") if r.get("height") == "18"]
    # NLAMS first (by name): undecided, then the unknown status in the palette's colour.
    assert bars_drawn == ["tone-undecided", "series-3", "tone-unnotified", "tone-notified"]
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["unnotified", "notified", "undecided", "future_status"]
