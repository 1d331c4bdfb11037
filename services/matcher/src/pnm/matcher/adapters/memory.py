"""The matcher's domain over in-memory state: what `pnm replay` and the benchmarks run. Same
rules as the service (newer versions win, candidates by strong key or weak block, deadlines
fire at their event time, a decision is re-issued only when it changed); only storage differs."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pnm.matcher.domain.blocking import NotificationIndex
from pnm.matcher.domain.decision import Evidence
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.feeds import degraded_feeds
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.matching import ArrivalFacts, EtaFacts, Evaluation, evaluate
from pnm.matcher.domain.scoring import covers
from pnm.shared.contracts.records import (
    Arrival,
    Decision,
    EtaUpdate,
    FeedStatus,
    ManifestLine,
    PreNotification,
    Record,
    Regime,
)
from pnm.shared.identifiers import container_number

LineKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Line:
    record: ManifestLine
    facts: LineFacts


def _containers(raw: Iterable[str] | None) -> frozenset[str] | None:
    return None if raw is None else frozenset(container_number(c).value for c in raw)


class InMemoryMatcher:
    def __init__(self, indicators: IndicatorSet) -> None:
        self.indicators = indicators
        self._lines: dict[LineKey, _Line] = {}
        self._notifications = NotificationIndex()
        self._versions: dict[str, int] = {}
        # Lines by strong key and by vessel: those a notification may decide.
        self._lines_by_key: dict[str, set[LineKey]] = defaultdict(set)
        self._arrivals: dict[str, list[ArrivalFacts]] = defaultdict(list)
        self._etas: dict[str, list[EtaFacts]] = defaultdict(list)
        self._feeds: dict[str, FeedStatus] = {}
        self._deadlines: list[tuple[datetime, LineKey]] = []
        # Lines whose decision is held back by a feed's outage: what a feed's news re-decides.
        self._held: set[LineKey] = set()
        self.decisions: dict[LineKey, Decision] = {}

    # Inputs -----------------------------------------------------------------------------

    def receive(self, record: Record, now: datetime) -> None:
        """Any input record, by its type, received at `now`."""
        if isinstance(record, ManifestLine):
            self.line(record, now)
        elif isinstance(record, PreNotification):
            self.prenotification(record, now)
        elif isinstance(record, Arrival):
            self.arrival(record, now)
        elif isinstance(record, EtaUpdate):
            self.eta(record, now)
        elif isinstance(record, FeedStatus):
            self.feed(record, now)
        else:
            raise TypeError(f"the matcher takes no {type(record).__name__}")

    def line(self, record: ManifestLine, now: datetime) -> None:
        self._fire_deadlines(now)
        key = (record.manifest_id, record.line_id)
        known = self._lines.get(key)
        if known is not None and known.record.version >= record.version:
            return
        if known is not None:
            self._unindex_line(key, known)
        facts = LineFacts.of(record)
        self._lines[key] = _Line(record, facts)
        for k in facts.block_keys:
            self._lines_by_key[k].add(key)
        # Lines sharing a candidate with this one: their covered mass changed too.
        affected = {key}
        for n in self._notifications.candidates(facts):
            affected |= self._lines_covered(n)
        self._redecide(affected, now)

    def prenotification(self, record: PreNotification, now: datetime) -> None:
        self._fire_deadlines(now)
        # A sign of life of its feed: if it ends the feed's silence, the lines held back by
        # that silence may go on (the service asks on every batch; here only when it counts).
        held = set(self._held) if self._alive(record.system, now) else set()
        if self._versions.get(record.reference, 0) >= record.version:
            self._redecide(held, now)
            return
        self._versions[record.reference] = record.version
        facts = NotificationFacts.of(record)
        affected = self._lines_near(facts)
        if (previous := self._notifications.put(facts)) is not None:
            affected |= self._lines_near(previous)
        self._redecide(affected | held, now)

    def arrival(self, record: Arrival, now: datetime) -> None:
        self._fire_deadlines(now)
        containers = _containers(record.containers)
        self._arrivals[record.manifest_id].append(
            ArrivalFacts(record.manifest_id, containers, record.arrived_at)
        )
        self._redecide(self._lines_of(record.manifest_id, containers), now)

    def eta(self, record: EtaUpdate, now: datetime) -> None:
        self._fire_deadlines(now)
        containers = _containers(record.containers)
        self._etas[record.manifest_id].append(
            EtaFacts(record.manifest_id, containers, record.eta, now)
        )
        self._redecide(self._lines_of(record.manifest_id, containers), now)

    def feed(self, record: FeedStatus, now: datetime) -> None:
        self._fire_deadlines(now)
        known = self._feeds.get(record.system)
        if known is None or known.at <= record.at:
            self._feeds[record.system] = record
        # As the service: the lines held back by an outage are decided again; a decision
        # issued before it stands (domain/decision.py: no *new* unnotified or overdue).
        self._redecide(set(self._held), now)

    def advance(self, now: datetime) -> None:
        """Let time pass: deadlines fire at their own times, then every line at `now`."""
        self._fire_deadlines(now)
        self._redecide(set(self._lines), now)

    def dry_run(self, key: LineKey, now: datetime) -> Decision | None:
        """The decision the line would get now, without keeping it."""
        return self._decision(key, now).decision if key in self._lines else None

    # Blocking ---------------------------------------------------------------------------

    def _lines_covered(self, n: NotificationFacts) -> set[LineKey]:
        """The lines the notification covers by key (its mass is weighed against theirs)."""
        return {
            key
            for key in self._lines_near(n)
            if covers(
                self._lines[key].facts.strong_keys,
                self._lines[key].facts.containers,
                self._lines[key].facts.transport_document,
                n,
            )
        }

    def _lines_near(self, n: NotificationFacts) -> set[LineKey]:
        """Lines the notification may decide: any block key in common."""
        keys: set[LineKey] = set()
        for k in n.block_keys:
            keys |= self._lines_by_key.get(k, set())
        return keys

    def _lines_of(self, manifest_id: str, containers: frozenset[str] | None) -> set[LineKey]:
        return {
            key
            for key, line in self._lines.items()
            if key[0] == manifest_id
            and (containers is None or not containers.isdisjoint(line.facts.containers))
        }

    def _unindex_line(self, key: LineKey, line: _Line) -> None:
        for k in line.facts.block_keys:
            self._lines_by_key[k].discard(key)

    def _alive(self, system: str, now: datetime) -> bool:
        """A pre-notification is a sign of life of its feed: whether it changed which feeds
        are degraded (it ended a silence)."""
        known = self._feeds.get(system)
        if known is None or (known.last_record_at is not None and known.last_record_at >= now):
            return False
        before = self._degraded(now)
        self._feeds[system] = known.model_copy(update={"last_record_at": now})
        return self._degraded(now) != before

    def _degraded(self, now: datetime) -> dict[Regime, str]:
        return degraded_feeds(self._feeds.values(), now, self.indicators.parameters)

    # Deciding ---------------------------------------------------------------------------

    def _fire_deadlines(self, now: datetime) -> None:
        """Decide lines at the moment their deadline passes, before later inputs count."""
        while self._deadlines and self._deadlines[0][0] <= now:
            at, key = heapq.heappop(self._deadlines)
            self._redecide({key}, at)

    def _decision(self, key: LineKey, now: datetime) -> Evaluation:
        line = self._lines[key]
        evaluation = evaluate(
            line.record,
            line.facts,
            [
                Evidence(
                    n,
                    sum(
                        self._lines[k].facts.gross_mass_kg
                        for k in self._lines_covered(n)
                        if k != key
                    ),
                )
                for n in self._notifications.candidates(line.facts)
            ],
            self._etas.get(key[0], ()),
            self._arrivals.get(key[0], ()),
            self._degraded(now),
            self.decisions.get(key),
            self.indicators,
            now,
        )
        if evaluation.next_deadline is not None:
            heapq.heappush(self._deadlines, (evaluation.next_deadline, key))
        return evaluation

    def _redecide(self, keys: Iterable[LineKey], now: datetime) -> None:
        for key in sorted(keys):
            evaluation = self._decision(key, now)
            if evaluation.feed_held:
                self._held.add(key)
            else:
                self._held.discard(key)
            if evaluation.changed:
                self.decisions[key] = evaluation.decision
