"""The console's colours meet WCAG 2.1 AA contrast (4.5:1 for text) for every pair of text and
background colour its stylesheet uses together."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLESHEET = Path(__file__).parents[3] / "services/console/src/pnm/console/web/static/console.css"
AA_TEXT = 4.5
HEADER_BACKGROUND = "#f2f5f8"  # header and table heads


def variables() -> dict[str, str]:
    root = re.search(r":root\s*{([^}]*)}", STYLESHEET.read_text())
    assert root is not None
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", root.group(1)))


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.1, 1.4.3)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


PAIRS = [
    ("ink", "bg"),
    ("muted", "bg"),
    ("accent", "bg"),
    ("warn-ink", "warn-bg"),
    ("bad-ink", "bad-bg"),
    ("ok-ink", "ok-bg"),
]


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_on_its_background(text: str, background: str) -> None:
    colours = variables()
    ratio = contrast(colours[text], colours[background])
    assert ratio >= AA_TEXT, f"--{text} on --{background}: {ratio:.2f}:1"


@pytest.mark.parametrize("text", ["ink", "muted", "accent"])
def test_text_on_the_header(text: str) -> None:
    assert contrast(variables()[text], HEADER_BACKGROUND) >= AA_TEXT


def test_button_text_on_the_accent() -> None:
    assert contrast("#ffffff", variables()["accent"]) >= AA_TEXT


def test_the_formula_against_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
