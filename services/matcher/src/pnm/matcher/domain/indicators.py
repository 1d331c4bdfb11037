"""Risk indicator sets: versioned data (CN code prefixes per regime), not code."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from pnm.shared.contracts.records import ChedType, Regime


@dataclass(frozen=True)
class Indicator:
    regime: Regime
    cn_prefix: str
    ched_type: ChedType
    coverage: str  # "all": the whole heading is controlled; "partial": only some goods ("ex")
    description: str
    legal_source: str


@dataclass(frozen=True)
class IndicatorSet:
    version: str
    indicators: tuple[Indicator, ...]

    def matching(self, hs_code: str | None) -> list[Indicator]:
        """Indicators whose CN prefix the goods code falls under."""
        if not hs_code:
            return []
        return [i for i in self.indicators if hs_code.startswith(i.cn_prefix)]


class IndicatorSetError(ValueError):
    pass


def parse_indicator_set(text: str, version: str) -> IndicatorSet:
    indicators = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            prefix = row["cn_prefix"].strip()
            if not prefix.isdigit() or not 2 <= len(prefix) <= 10:
                raise IndicatorSetError(f"cn_prefix {prefix!r} is not 2-10 digits")
            indicators.append(
                Indicator(
                    regime=Regime(row["regime"]),
                    cn_prefix=prefix,
                    ched_type=ChedType(row["ched_type"]),
                    coverage=row["coverage"],
                    description=row["description"],
                    legal_source=row["legal_source"],
                )
            )
        except (KeyError, ValueError) as err:
            raise IndicatorSetError(f"indicator set {version}, row {number}: {err}") from err
    if not indicators:
        raise IndicatorSetError(f"indicator set {version} is empty")
    return IndicatorSet(version=version, indicators=tuple(indicators))
