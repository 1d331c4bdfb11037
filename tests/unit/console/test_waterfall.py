"""The waterfall of a match explanation: running totals, negative weights, no contributions,
and labels that must never become markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest

from pnm.console.web.waterfall import Threshold, figure, steps, total, waterfall_svg

SVG = "{http://www.w3.org/2000/svg}"
WORDS = {
    "title": "Why CHEDP.NL.2026.0000002 matched",
    "description": "Seven comparisons add up to 18.5",
    "total_label": "total",
    "axis_label": "weight (log-likelihood)",
    "empty_text": "no comparisons",
}


def chart(
    contributions: list[tuple[str, float]], thresholds: Sequence[Threshold] = ()
) -> ET.Element:
    text = waterfall_svg(contributions, chart_id="w1", thresholds=thresholds, **WORDS)
    return ET.fromstring(text)  # well-formed XML, or this raises


def bars(svg: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if kind in g.get("class", "").split()]


def test_each_contribution_starts_where_the_previous_ended() -> None:
    drawn = steps([("container exact", 8.0), ("name exact", 3.0), ("bcp differ", -2.0)])
    assert [(s.start, s.end) for s in drawn] == [(0.0, 8.0), (8.0, 11.0), (11.0, 9.0)]
    assert total([("container exact", 8.0), ("name exact", 3.0), ("bcp differ", -2.0)]) == 9.0


def test_totals_do_not_drift() -> None:
    assert total([("a", 0.1), ("b", 0.2)]) == 0.3
    assert figure(0.1 + 0.2) == "0.3"
    assert figure(-0.0, signed=True) == "+0"


def test_one_bar_per_contribution_and_a_total() -> None:
    svg = chart([("container exact", 8.0), ("name exact", 3.0), ("weight within", 1.5)])
    assert len(bars(svg, "step")) == 4
    assert len(bars(svg, "total")) == 1
    [total_bar] = bars(svg, "total")
    assert "= 12.5" in "".join(total_bar.itertext())


def test_a_negative_weight_goes_down_and_says_so() -> None:
    svg = chart([("container exact", 8.0), ("arrival outside", -4.0)])
    [up] = bars(svg, "up")
    [down] = bars(svg, "down")
    up_rect, down_rect = up.find(f"{SVG}rect"), down.find(f"{SVG}rect")
    assert up_rect is not None and down_rect is not None
    up_end = float(up_rect.get("x", "0")) + float(up_rect.get("width", "0"))
    down_end = float(down_rect.get("x", "0")) + float(down_rect.get("width", "0"))
    # The loss ends where the gain ended and reaches back half of it.
    assert down_end == pytest.approx(up_end, abs=0.2)
    assert float(down_rect.get("width", "0")) == pytest.approx(
        float(up_rect.get("width", "0")) / 2, abs=0.2
    )
    # The sign in words, not only the colour, and where the running total stands after it.
    assert "-4 → 4" in "".join(down.itertext())


def test_a_total_below_zero_is_drawn_left_of_zero() -> None:
    svg = chart([("bcp differ", -2.0), ("arrival outside", -4.0)])
    [total_bar] = bars(svg, "total")
    assert "= -6" in "".join(total_bar.itertext())
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert "-6" in ticks and "0" in ticks


def test_no_contributions_says_so_without_bars() -> None:
    svg = chart([])
    assert bars(svg, "step") == []
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "empty"] == [
        "no comparisons"
    ]
    assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None


def test_labels_and_words_are_escaped() -> None:
    hostile = '<script>alert("x")</script> & co'
    text = waterfall_svg(
        [(hostile, 1.0)],
        chart_id="w1",
        title=hostile,
        description=hostile,
        total_label="total",
        axis_label="weight",
        empty_text="none",
        thresholds=[Threshold(hostile, 4.0)],
    )
    assert "<script" not in text
    title = ET.fromstring(text).find(f"{SVG}title")
    assert title is not None and title.text == hostile


def test_thresholds_are_drawn_with_their_names() -> None:
    svg = chart(
        [("container exact", 8.0)],
        thresholds=[Threshold("review", 4.0), Threshold("match", 10.0)],
    )
    names = ["".join(g.itertext()) for g in bars(svg, "threshold")]
    assert any("review 4" in n for n in names) and any("match 10" in n for n in names)
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert "10" in ticks  # the scale reaches the match threshold though no bar does


def test_the_chart_is_named_for_assistive_technology() -> None:
    svg = chart([("container exact", 8.0)])
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "w1-title w1-desc"


def test_a_chart_id_that_is_no_id_is_refused() -> None:
    with pytest.raises(ValueError, match="chart_id"):
        waterfall_svg(
            [],
            chart_id='x" onload="alert(1)',
            title="t",
            description="d",
            total_label="total",
            axis_label="weight",
            empty_text="none",
        )


def test_a_loss_at_the_left_edge_keeps_its_figure_off_the_labels() -> None:
    svg = chart([("container differ", -8.0), ("name exact", 3.0)])
    [down] = bars(svg, "down")
    value = next(t for t in down.iter(f"{SVG}text") if t.get("class") == "value")
    rect = down.find(f"{SVG}rect")
    assert rect is not None
    assert value.get("text-anchor") == "start"
    assert float(value.get("x", "0")) > float(rect.get("x", "0")) + float(rect.get("width", "0"))
