"""Risk indicator sets: versioned data (CN code prefixes per regime, exemption rules), not code."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from pnm.shared.contracts.records import ChedType, GoodsItem, ManifestLine, Procedure, Regime


@dataclass(frozen=True)
class Indicator:
    regime: Regime
    cn_prefix: str
    ched_type: ChedType
    coverage: str  # "all": the whole heading is controlled; "partial": only some goods ("ex")
    description: str
    legal_source: str


@dataclass(frozen=True)
class Exemption:
    """A named rule under which controlled goods need no pre-notification. Every condition it
    sets must hold for every goods item of the regime: procedure, origin, CN prefix."""

    rule: str
    regime: Regime
    procedures: frozenset[str]
    origins: frozenset[str]
    cn_prefixes: tuple[str, ...]
    description: str
    legal_source: str

    def covers(self, line: ManifestLine, goods: Sequence[GoodsItem]) -> bool:
        if self.procedures and line.procedure.value not in self.procedures:
            return False
        if self.origins and not all(
            (item.country_of_origin or line.country_of_origin) in self.origins for item in goods
        ):
            return False
        return not self.cn_prefixes or all(
            item.hs_code and item.hs_code.startswith(self.cn_prefixes) for item in goods
        )


@dataclass(frozen=True)
class IndicatorSet:
    version: str
    indicators: tuple[Indicator, ...]
    exemptions: tuple[Exemption, ...] = ()

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


_PROCEDURES = frozenset(p.value for p in Procedure)


def parse_exemptions(text: str, version: str) -> tuple[Exemption, ...]:
    exemptions = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            procedures = frozenset(row["procedures"].split())
            if unknown := procedures - _PROCEDURES:
                raise IndicatorSetError(f"unknown procedure(s) {sorted(unknown)}")
            origins = frozenset(row["origins"].split())
            if any(len(o) != 2 or not o.isalpha() or not o.isupper() for o in origins):
                raise IndicatorSetError(f"origins {sorted(origins)} are not alpha-2 codes")
            prefixes = tuple(row["cn_prefixes"].split())
            if any(not p.isdigit() for p in prefixes):
                raise IndicatorSetError(f"cn_prefixes {list(prefixes)} are not digits")
            if not (procedures or origins or prefixes):
                raise IndicatorSetError(
                    f"rule {row['rule']!r} has no condition: it would exempt all"
                )
            exemptions.append(
                Exemption(
                    rule=row["rule"],
                    regime=Regime(row["regime"]),
                    procedures=procedures,
                    origins=origins,
                    cn_prefixes=prefixes,
                    description=row["description"],
                    legal_source=row["legal_source"],
                )
            )
        except (KeyError, ValueError) as err:
            raise IndicatorSetError(f"exemptions {version}, row {number}: {err}") from err
    return tuple(exemptions)
