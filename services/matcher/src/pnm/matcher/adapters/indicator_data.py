"""The indicator set shipped with the service (copied from the reference tables, versioned):
CN code prefixes per regime and the exemption rules."""

from __future__ import annotations

import dataclasses
from functools import cache
from importlib import resources

from pnm.matcher.domain.indicators import IndicatorSet, parse_exemptions, parse_indicator_set

CURRENT_VERSION = "v1"


@cache
def shipped_indicator_set(version: str = CURRENT_VERSION) -> IndicatorSet:
    data = resources.files("pnm.matcher.data")
    indicators = parse_indicator_set(
        data.joinpath(f"indicators-{version}.csv").read_text(), version
    )
    exemptions = parse_exemptions(data.joinpath(f"exemptions-{version}.csv").read_text(), version)
    return dataclasses.replace(indicators, exemptions=exemptions)
