"""How a pre-arrival case closes, and what its outcome says of the risk indicator that flagged
the line (docs/cases.md, "Statistics per indicator"). Written once for holds, which closes the
cases and counts them per indicator, and the console, which shows the counts. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class CaseOutcome(StrEnum):
    # Pre-notified, but not yet registered: registered now, the matcher re-matches.
    PRENOTIFIED_NOT_REGISTERED = "prenotified_not_registered"
    NOT_CONTROLLED = "not_controlled"  # not veterinary goods, not plants
    BILATERAL_AGREEMENT = "bilateral_agreement"  # EU agreements: GL, IS, FO, NO, CH
    HANDED_TO_AUTHORITY = "handed_to_authority"  # not pre-notified: the authority takes over


# The outcomes that say the indicator flagged goods that needed no check.
FALSE_POSITIVE = frozenset({CaseOutcome.NOT_CONTROLLED, CaseOutcome.BILATERAL_AGREEMENT})
# The closed cases of lines no indicator flagged (manual holds) are counted under this name.
UNATTRIBUTED = "(none)"


def false_positive_rate(closed_by_outcome: Mapping[str, int]) -> float | None:
    """Of the cases an indicator flagged that were closed, the share closed as needing no
    check (FALSE_POSITIVE); None when none was closed (not 0 %: nothing is known)."""
    closed = sum(closed_by_outcome.values())
    if closed == 0:
        return None
    return false_positives(closed_by_outcome) / closed


def false_positives(closed_by_outcome: Mapping[str, int]) -> int:
    return sum(n for outcome, n in closed_by_outcome.items() if outcome in FALSE_POSITIVE)


@dataclass(frozen=True)
class IndicatorOutcomes:
    """One indicator's closed cases, by outcome (a case flagged by two counts for each)."""

    indicator: str
    by_outcome: Mapping[str, int]

    @property
    def closed(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def false_positives(self) -> int:
        return false_positives(self.by_outcome)

    @property
    def false_positive_rate(self) -> float | None:
        return false_positive_rate(self.by_outcome)
