"""A decision's explanation read as the matcher writes it (docs/line-detail.md): per regime
whose best candidate was scored, a `candidate` row (level "<regime> <reference>", weight the
candidate's total) followed by that candidate's comparisons (field, level, weight). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CANDIDATE_ROW = "candidate"


@dataclass(frozen=True)
class WeightedComparison:
    field: str
    level: str
    weight: float

    @property
    def label(self) -> str:
        return f"{self.field} {self.level}"


@dataclass(frozen=True)
class ScoredCandidate:
    regime: str  # "" when the explanation names none
    reference: str  # "" for comparisons that come before any candidate row
    recorded_total: float | None  # the total the matcher wrote on the candidate row
    comparisons: list[WeightedComparison] = field(default_factory=list)

    def bars(self) -> list[tuple[str, float]]:
        return [(c.label, c.weight) for c in self.comparisons]


def scored_candidates(explanation: Iterable[Mapping[str, Any]]) -> list[ScoredCandidate]:
    """The explanation split at its candidate rows, in the order written."""
    found: list[ScoredCandidate] = []
    for row in explanation:
        name, level, weight = str(row["field"]), str(row["level"]), float(row["weight"])
        if name == CANDIDATE_ROW:
            regime, space, reference = level.partition(" ")
            named = (regime, reference) if space else ("", level)
            found.append(ScoredCandidate(*named, weight))
        elif found:
            found[-1].comparisons.append(WeightedComparison(name, level, weight))
        else:
            found.append(ScoredCandidate("", "", None, [WeightedComparison(name, level, weight)]))
    return found
