"""Regimes from a goods description: the recogniser's likely headings (`goods_text`) put under
the indicator set's CN prefixes, as an HS code would be. A regime whose headings together reach
the set's `goods_text_confident` share is selected (reason `goods_text`); one that reaches only
`goods_text_uncertain` is selected for a person to look at (reason `goods_uncertain`: the line
goes to `review`, never to a hold on a guess). Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pnm.matcher.domain.goods_text import Heading, Recognition, recognise, vocabulary
from pnm.matcher.domain.indicators import Indicator, IndicatorSet
from pnm.shared.contracts.records import ChedType, GoodsItem, Reason, Regime

GOODS_TEXT = "goods_text"
GOODS_UNCERTAIN = "goods_uncertain"
# Headings worth naming beside the best of a regime: at least this share of its confidence.
NAMED_SHARE = 0.25
# A heading with less than this confidence is not one the goods may be under.
PLAUSIBLE = 0.01
DESCRIPTION_QUOTED_CHARS = 60


@dataclass(frozen=True)
class GoodsReading:
    """What a description says of one regime."""

    regime: Regime
    confidence: float
    certain: bool
    headings: tuple[Heading, ...]  # of this regime, best first
    category: ChedType | None  # None when the headings' CHED category is not certain
    packed: bool = False  # read from the words a packing word heads ("Eierkartons")

    @property
    def codes(self) -> list[str]:
        """The headings the goods may be under: what the goods comparison accepts a notified
        code under, and what an exemption by CN prefix must cover (every one of them)."""
        return [h.code for h in self.headings if h.confidence >= PLAUSIBLE]

    @property
    def named(self) -> list[str]:
        """The headings worth naming: the best of the regime and those close to it."""
        best = self.headings[0].confidence
        return [h.code for h in self.headings if h.confidence >= NAMED_SHARE * best]

    def reason(self, item: GoodsItem, why: str) -> Reason:
        best = self.headings[0]
        said = ", ".join(repr(w) for w in best.words)
        also = self.named[1:]
        others = f" (also {', '.join(also)})" if also else ""
        verdict = (
            "names packing, perhaps of" if self.packed else "reads as" if self.certain else "may be"
        )
        return Reason(
            code=GOODS_TEXT if self.certain else GOODS_UNCERTAIN,
            text=f"item {item.item}: {why}; description {_quoted(item.description)!r} {verdict} "
            f"heading {best.code}{others} ({_quoted(best.title)}) by {said}: {self.regime} "
            f"confidence {self.confidence:.2f} (goods vocabulary {vocabulary().version})",
            indicator=f"goods:{best.code}",
        )


def _quoted(text: str) -> str:
    """A description or title as a reason quotes it: cut, so that the decision of the largest
    line, each item read by its words, stays below the broker's message size."""
    return (
        text
        if len(text) <= DESCRIPTION_QUOTED_CHARS
        else text[: DESCRIPTION_QUOTED_CHARS - 1] + "…"
    )


def read_goods(description: str, indicators: IndicatorSet) -> list[GoodsReading]:
    """The regimes a description points to at least uncertainly, surest first. Goods named
    before a packing word heading a compound ("Orangenkartons": cartons for oranges, or of them?)
    add their regimes as uncertain: a person decides (docs/goods-recognition.md)."""
    recognition = recognise(description)
    readings = _readings(recognition, indicators)
    if recognition.packed:
        read = {r.regime for r in readings}
        readings += [
            replace(r, certain=False, category=None, packed=True)
            for r in _readings(recognise(" ".join(recognition.packed)), indicators)
            if r.regime not in read
        ]
    return sorted(readings, key=lambda r: (-r.confidence, r.regime))


def _readings(recognition: Recognition, indicators: IndicatorSet) -> list[GoodsReading]:
    p = indicators.parameters
    by_regime: dict[Regime, list[tuple[Heading, list[Indicator]]]] = {}
    for heading in recognition.headings:
        for indicator in indicators.matching(heading.code):
            entry = by_regime.setdefault(indicator.regime, [])
            if entry and entry[-1][0] is heading:
                entry[-1][1].append(indicator)
            else:
                entry.append((heading, [indicator]))
    readings = []
    for regime, found in by_regime.items():
        confidence = min(1.0, round(sum(h.confidence for h, _ in found), 4))
        if confidence < p.goods_text_uncertain:
            continue
        certain = confidence >= p.goods_text_confident
        categories = {
            i.ched_type if i.coverage == "all" else None
            for h, ii in found
            if h.confidence >= PLAUSIBLE
            for i in ii
        }
        readings.append(
            GoodsReading(
                regime,
                confidence,
                certain,
                tuple(h for h, _ in found),
                categories.pop() if certain and len(categories) == 1 else None,
            )
        )
    return readings
