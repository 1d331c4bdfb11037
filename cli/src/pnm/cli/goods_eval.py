"""`pnm goods-eval`: precision and recall per regime of the selection by description on a
labelled corpus (tests/data/goods_corpus.csv by default), before (the description keywords) and
after (goods recognition), under one indicator set. docs/goods-recognition.md has the figures."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pnm.matcher.domain.goods_selection import read_goods
from pnm.matcher.domain.goods_text import recognise, vocabulary
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.shared.contracts.records import Regime

CORPUS = Path(__file__).parents[4] / "tests/data/goods_corpus.csv"


@dataclass(frozen=True)
class Labelled:
    description: str
    language: str
    heading: str
    regime: str  # phyto, vet or none
    family: str


@dataclass
class Tally:
    selected: int = 0  # expected and selected (a hold if nothing is notified)
    false: int = 0  # selected, not expected
    missed: list[str] = field(default_factory=list)
    reviewed: int = 0  # expected, not selected, sent to review (goods_uncertain)
    false_reviews: int = 0

    @property
    def precision(self) -> float:
        return self.selected / (self.selected + self.false) if self.selected + self.false else 1.0

    def recall(self, expected: int) -> float:
        return self.selected / expected if expected else 1.0


# A selection: the regimes a description selects for sure, and those it sends to review.
Selector = Callable[[str], tuple[set[str], set[str]]]


def corpus(path: Path = CORPUS) -> list[Labelled]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Labelled(
                r["description"],
                r["language"],
                r["expected_heading"],
                r["expected_regime"],
                r["family"],
            )
            for r in csv.DictReader(f)
        ]


def by_keywords(indicators: IndicatorSet) -> Selector:
    def select(description: str) -> tuple[set[str], set[str]]:
        return {str(k.regime) for k in indicators.keywords_in(description)}, set()

    return select


def by_recognition(indicators: IndicatorSet) -> Selector:
    def select(description: str) -> tuple[set[str], set[str]]:
        readings = read_goods(description, indicators)
        return (
            {str(r.regime) for r in readings if r.certain},
            {str(r.regime) for r in readings if not r.certain},
        )

    return select


def tally(rows: Iterable[Labelled], select: Selector) -> dict[str, Tally]:
    tallies = {str(r): Tally() for r in Regime}
    for row in rows:
        sure, unsure = select(row.description)
        for regime, t in tallies.items():
            expected = row.regime == regime
            if regime in sure:
                t.selected += expected
                t.false += not expected
            elif expected:
                t.missed.append(row.description)
                t.reviewed += regime in unsure
            else:
                t.false_reviews += regime in unsure
    return tallies


def heading_accuracy(rows: Iterable[Labelled]) -> float:
    labelled = [r for r in rows if r.heading]
    right = sum(
        bool(found.headings) and found.headings[0].code == r.heading
        for r in labelled
        if (found := recognise(r.description)) is not None
    )
    return right / len(labelled)


def report(indicators: IndicatorSet, path: Path = CORPUS, show_missed: bool = False) -> str:
    rows = corpus(path)
    expected = {str(r): sum(row.regime == str(r) for row in rows) for r in Regime}
    lines = [
        f"goods corpus {path.name}: {len(rows)} descriptions "
        f"({', '.join(f'{k} {v}' for k, v in expected.items())}, "
        f"none {len(rows) - sum(expected.values())}); indicator set {indicators.version}, "
        f"goods vocabulary {vocabulary().version}",
        f"{'selection':<12} {'regime':<6} {'precision':>9} {'recall':>7} {'false':>6} "
        f"{'missed':>7} {'of which review':>16} {'false review':>13}",
    ]
    for name, select in (
        ("keywords", by_keywords(indicators)),
        ("recognition", by_recognition(indicators)),
    ):
        for regime, t in tally(rows, select).items():
            lines.append(
                f"{name:<12} {regime:<6} {t.precision:>9.3f} {t.recall(expected[regime]):>7.3f} "
                f"{t.false:>6} {len(t.missed):>7} {t.reviewed:>16} {t.false_reviews:>13}"
            )
            if show_missed and name == "recognition":
                lines += [f"    missed: {d}" for d in t.missed]
    lines.append(
        f"recognition: best heading right on {heading_accuracy(rows):.3f} of those labelled"
    )
    return "\n".join(lines)
