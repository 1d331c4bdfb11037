"""Deciding a set of lines from current state: what the domain needs, asked of the store with
a fixed number of set-based questions (never a scan of the pre-notifications), then each line
through `domain.matching.evaluate`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pnm.matcher.domain.blocking import NotificationIndex
from pnm.matcher.domain.decision import Evidence, reach
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.feeds import degraded_feeds
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.keys import reference_key
from pnm.matcher.domain.matching import (
    ArrivalFacts,
    EtaFacts,
    Evaluation,
    current_eta,
    evaluate,
)
from pnm.matcher.domain.quantity import NOTHING, Quantity
from pnm.matcher.domain.regime import settled_by_match
from pnm.matcher.domain.scoring import covers, reaches_match
from pnm.matcher.domain.selection import Selected, select_regimes
from pnm.matcher.domain.watermark import Backlog
from pnm.matcher.service_layer.store import (
    UNSCHEDULED,
    Decided,
    Store,
    StoredDecision,
    StoredLine,
)
from pnm.shared.contracts.records import Decision, FeedStatus, LineKey, Regime

# Per candidate, the lines it covers by key and their quantities (gross mass, packages).
Covered = dict[str, dict[LineKey, Quantity]]


@dataclass
class MatcherState:
    indicators: IndicatorSet
    lines: dict[LineKey, StoredLine]
    covered: Covered
    etas: dict[str, list[EtaFacts]]
    arrivals: dict[str, list[ArrivalFacts]]
    feeds: list[FeedStatus]
    previous: dict[LineKey, Decision]
    stored: dict[LineKey, StoredDecision]
    # The pre-notification watermark, when blocks wait for it (see `domain.watermark`).
    awaits_watermark: bool
    watermark: datetime | None
    # Per line, its regimes under the indicator set (selected once per step).
    selections: dict[LineKey, dict[Regime, Selected]]
    reachable: dict[LineKey, list[NotificationFacts]] = field(default_factory=dict)
    contenders: dict[LineKey, list[NotificationFacts]] = field(default_factory=dict)
    # Per candidate, the lines it covers by key in order, named: built once per step (a
    # candidate's entry in `covered` is read once and never changes within the step).
    _named: dict[str, tuple[tuple[LineKey, str, Quantity], ...]] = field(default_factory=dict)

    @property
    def keys(self) -> list[LineKey]:
        return sorted(self.lines)

    def eta_of(self, key: LineKey) -> datetime:
        line = self.lines[key]
        return current_eta(line.record, line.facts.containers, self.etas.get(key[0], ()))

    def decided_by_its_record(self, key: LineKey) -> bool:
        """Whether the line's decision stands whatever else came in: it is of this version,
        under this indicator set, which selects no regime (nothing but a new version of the
        line or another indicator set can change that: no candidate, arrival, deadline or
        feed counts for goods nobody notifies)."""
        previous = self.previous.get(key)
        return (
            previous is not None
            and not previous.regimes
            and previous.line_version == self.lines[key].record.version
            and previous.indicator_set_version == self.indicators.version
        )

    def find_reachable(self, controlled: Iterable[LineKey], index: _BatchIndex) -> None:
        """Per line the indicator set selects, the candidates in its reach and those of them
        that may match it (decided once here: the others cannot score review, so the mass they
        cover is never looked up)."""
        for key in controlled:
            line = self.lines[key]
            eta, port = self.eta_of(key), line.record.port_of_discharge
            reachable, contenders = [], []
            for n in index.candidates(line.facts):
                levels = reach(line.facts, eta, port, n, self.indicators)
                if levels is not None:
                    reachable.append(n)
                    if reaches_match(levels, self.indicators):
                        contenders.append(n)
            self.reachable[key], self.contenders[key] = reachable, contenders

    def unknown_masses(self, keys: Iterable[LineKey]) -> list[NotificationFacts]:
        """The candidates in reach of these lines whose covered mass is not known yet."""
        unknown = {
            n.reference: n
            for key in keys
            for n in self.reachable.get(key, ())
            if n.reference not in self.covered
        }
        return list(unknown.values())

    def evaluate(
        self, key: LineKey, now: datetime, degraded: Mapping[Regime, str], *, contenders: bool
    ) -> Evaluation:
        """The line decided on every candidate in its reach, or on those that may match it."""
        line = self.lines[key]
        known = self.stored.get(key)
        held_since = (known.schedule if known else UNSCHEDULED)[2]
        candidates = (self.contenders if contenders else self.reachable).get(key, ())
        return evaluate(
            line.record,
            line.facts,
            [self._evidence(n, key) for n in candidates],
            self.etas.get(key[0], ()),
            self.arrivals.get(key[0], ()),
            degraded,
            self.previous.get(key),
            self.indicators,
            now,
            Backlog(self.watermark, held_since or now) if self.awaits_watermark else None,
            self.selections[key],
        )

    def _evidence(self, n: NotificationFacts, key: LineKey) -> Evidence:
        """The candidate with the other lines it covers by key, their quantity and names."""
        named = self._named.get(n.reference)
        if named is None:
            covered = self.covered[n.reference]
            named = tuple((k, f"{k[0]}/{k[1]}", covered[k]) for k in sorted(covered))
            self._named[n.reference] = named
        others = [(name, q) for k, name, q in named if k != key]
        total = sum((q for _, q in others), NOTHING)
        return Evidence(n, total, tuple(name for name, _ in others))

    def decided(self, key: LineKey, evaluation: Evaluation) -> Decided:
        return Decided(key, evaluation, self.lines[key].record.port_of_discharge, self.eta_of(key))

    def standing(self, key: LineKey) -> Decided:
        """The kept decision, unchanged, with the line's current port and ETA (a new ETA
        moves it in the lists by arrival even when nothing else changes)."""
        known = self.stored[key]
        return self.decided(key, Evaluation(known.decision, False, *known.schedule))


class _BatchIndex:
    """A step's notification index: each line's candidates looked up once, for coverage and
    for reach alike (the index does not change while the step decides)."""

    def __init__(self, candidates: Iterable[NotificationFacts], lines: Iterable[StoredLine]):
        self._index = NotificationIndex(candidates, only=_block_keys(lines))
        self._found: dict[LineFacts, list[NotificationFacts]] = {}

    def candidates(self, facts: LineFacts) -> list[NotificationFacts]:
        found = self._found.get(facts)
        if found is None:
            found = self._found[facts] = self._index.candidates(facts)
        return found


@dataclass
class _Found:
    lines: dict[LineKey, StoredLine]
    selections: dict[LineKey, dict[Regime, Selected]]
    candidates: list[NotificationFacts]

    @property
    def controlled(self) -> list[LineKey]:
        return [k for k, selected in self.selections.items() if selected]


@dataclass(frozen=True)
class _Read:
    """Stored decisions already read in a step: of which lines, and those that have one."""

    asked: frozenset[LineKey]
    decisions: dict[LineKey, StoredDecision]


async def _found(store: Store, keys: Collection[LineKey], indicators: IndicatorSet) -> _Found:
    """The lines and the candidates of those the indicator set selects (most manifest lines
    carry goods nobody notifies)."""
    lines = await store.lines(keys)
    selections = {k: select_regimes(v.record, indicators) for k, v in lines.items()}
    controlled = [k for k, selected in selections.items() if selected]
    candidates = (
        await store.notifications_with_keys(_block_keys(lines[k] for k in controlled))
        if controlled
        else []
    )
    return _Found(lines, selections, candidates)


async def _lines_and_candidates(
    store: Store, keys: Collection[LineKey], indicators: IndicatorSet, *, expand: bool
) -> tuple[_Found, Covered, _BatchIndex, _Read]:
    """Expanded: plus the other lines a pre-notification covering one of them by key may
    decide (a new line changes the summed mass that notification is weighed against, and what
    its quantity leaves for its weaker candidates: docs/quantity-budget.md), and their
    candidates; each is read once. The notifications the lines' decisions named so far count
    too: a line amended away from one leaves its quantity to others. Also the stored decisions
    read on the way (of the first lines, when expanded), so that they are not read again."""
    first = await _found(store, keys, indicators)
    index = _BatchIndex(first.candidates, first.lines.values())
    if not expand:
        return first, {}, index, _Read(frozenset(), {})
    covering = {
        n.reference: n
        for f in (line.facts for line in first.lines.values())
        for n in index.candidates(f)
        if covers(f.strong_keys, f.containers, f.transport_document, n)
    }
    stored = _Read(frozenset(first.lines), await store.decisions(first.lines))
    named = {
        reference_key(r)
        for d in stored.decisions.values()
        for r in d.decision.references
        if r not in covering
    }
    if named:
        found = await store.notifications_with_keys({f"reference:{r}" for r in named})
        covering |= {n.reference: n for n in found if reference_key(n.reference) in named}
    covered = await covered_quantities(store, covering.values())
    in_block = await store.lines_with_keys({k for n in covering.values() for k in n.block_keys})
    more = {k for lines in [*covered.values(), *in_block.values()] for k in lines} - set(
        first.lines
    )
    if not more:
        return first, covered, index, stored
    then = await _found(store, more, indicators)
    seen = {n.reference for n in first.candidates}
    expanded = _Found(
        first.lines | then.lines,
        first.selections | then.selections,
        sorted(
            [*first.candidates, *(n for n in then.candidates if n.reference not in seen)],
            key=lambda n: n.reference,
        ),
    )
    return expanded, covered, _BatchIndex(expanded.candidates, expanded.lines.values()), stored


def _block_keys(lines: Iterable[StoredLine]) -> set[str]:
    return {k for line in lines for k in line.facts.block_keys}


async def covered_quantities(store: Store, candidates: Iterable[NotificationFacts]) -> Covered:
    """Per candidate, the gross mass and packages of every line it covers by key (a strong key
    or a typo of one)."""
    by_reference = {n.reference: n for n in candidates}
    if not by_reference:
        return {}
    near = await store.lines_near(by_reference.values())
    return {
        reference: {
            line.key: line.quantity
            for line in near.get(reference, ())
            if covers(line.strong_keys, line.containers, line.transport_document, n)
        }
        for reference, n in by_reference.items()
    }


async def load_state(
    store: Store,
    keys: Collection[LineKey],
    indicators: IndicatorSet,
    *,
    expand: bool,
    awaits_watermark: bool,
) -> MatcherState:
    """`awaits_watermark`: blocks wait for the pre-notification watermark (docs/watermark.md)."""
    loaded, covered, index, known = await _lines_and_candidates(
        store, keys, indicators, expand=expand
    )
    manifests = {k[0] for k in loaded.lines}
    rest = [k for k in loaded.lines if k not in known.asked]
    stored = known.decisions | (await store.decisions(rest) if rest else {})
    state = MatcherState(
        indicators,
        loaded.lines,
        covered,
        await store.etas(manifests),
        await store.arrivals(manifests),
        await store.feeds(),
        {k: d.decision for k, d in stored.items()},
        stored,
        awaits_watermark,
        await store.watermark() if awaits_watermark else None,
        loaded.selections,
    )
    state.find_reachable(sorted(loaded.controlled), index)
    contenders = {n.reference: n for found in state.contenders.values() for n in found}
    state.covered |= await covered_quantities(
        store, [n for r, n in contenders.items() if r not in state.covered]
    )
    return state


async def evaluate_lines(
    store: Store, state: MatcherState, now: datetime, *, every_line: bool = False
) -> list[Decided]:
    """Every line, decided first on the candidates that may match it. A line one of them
    matches in every regime is decided: the others could score `review` at most, which
    changes nothing there (`settled_by_match`), so the masses they cover are not read. The
    other lines are decided again on every candidate in reach, once those masses are read."""
    degraded = degraded_feeds(state.feeds, now, state.indicators.parameters)
    if degraded:
        await store.depends_on_feed_life()
    standing = [] if every_line else [k for k in state.keys if state.decided_by_its_record(k)]
    first = {
        key: state.evaluate(key, now, degraded, contenders=True)
        for key in state.keys
        if key not in standing
    }
    again = [
        key
        for key, e in first.items()
        if len(state.contenders.get(key, ())) < len(state.reachable.get(key, ()))
        and not settled_by_match(e.decision.per_regime)
    ]
    state.covered |= await covered_quantities(store, state.unknown_masses(again))
    return [
        *(state.standing(key) for key in standing),
        *(
            state.decided(
                key, state.evaluate(key, now, degraded, contenders=False) if key in again else e
            )
            for key, e in first.items()
        ),
    ]
