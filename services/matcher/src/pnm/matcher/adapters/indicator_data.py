"""The indicator set shipped with the service (copied from the reference tables, versioned)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pnm.matcher.domain.indicators import IndicatorSet, parse_indicator_set

CURRENT_VERSION = "v1"


@cache
def shipped_indicator_set(version: str = CURRENT_VERSION) -> IndicatorSet:
    text = resources.files("pnm.matcher.data").joinpath(f"indicators-{version}.csv").read_text()
    return parse_indicator_set(text, version)
