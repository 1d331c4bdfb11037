"""What the domain needs to decide a set of lines, read from the matcher's tables with a fixed
number of set-based, indexed queries (never a scan of the pre-notifications)."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.block_index import (
    any_of,
    lines_near,
    notifications_with_keys,
    of_lines,
)
from pnm.matcher.adapters.footprints import Footprint
from pnm.matcher.adapters.linked_references import linked_references
from pnm.matcher.adapters.tables import (
    arrival,
    decision,
    eta_update,
    feed,
    line,
    prenotification,
    prenotification_watermark,
)
from pnm.matcher.domain.blocking import NotificationIndex
from pnm.matcher.domain.decision import Evidence, reach, select_regimes, settled_by_match
from pnm.matcher.domain.facts import LineFacts, NotificationFacts, strong_keys
from pnm.matcher.domain.feeds import degraded_feeds
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.matching import (
    ArrivalFacts,
    EtaFacts,
    Evaluation,
    current_eta,
    evaluate,
)
from pnm.matcher.domain.scoring import covers, reaches_match
from pnm.matcher.domain.watermark import Backlog, PartitionMark, feed_watermark
from pnm.shared.contracts.records import Decision, FeedStatus, ManifestLine, Regime

LineKey = tuple[str, str]
# A decision row's schedule: next deadline, held back (feed outage or watermark), held since.
Schedule = tuple[datetime | None, bool, datetime | None]


@dataclass(frozen=True, slots=True)
class StoredLine:
    record: ManifestLine
    facts: LineFacts


@dataclass
class MatcherState:
    indicators: IndicatorSet
    lines: dict[LineKey, StoredLine]
    reachable: dict[LineKey, list[NotificationFacts]]  # the candidates each line may score
    contenders: dict[LineKey, list[NotificationFacts]]  # those of them that may match it
    covered: dict[str, dict[LineKey, float]]  # the lines each of those covers, their mass
    etas: dict[str, list[EtaFacts]]
    arrivals: dict[str, list[ArrivalFacts]]
    feeds: list[FeedStatus]
    previous: dict[LineKey, Decision]
    schedule: dict[LineKey, Schedule]  # as stored
    read: Footprint  # what was read, to check against what others wrote meanwhile
    # The pre-notification watermark, when blocks wait for it (see `domain.watermark`).
    awaits_watermark: bool = False
    watermark: datetime | None = None

    @property
    def keys(self) -> list[LineKey]:
        return sorted(self.lines)

    def eta_of(self, key: LineKey) -> datetime:
        line = self.lines[key]
        return current_eta(line.record, line.facts.containers, self.etas.get(key[0], ()))

    def find_reachable(self, controlled: set[LineKey], index: _BatchIndex) -> None:
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
        """The candidates in reach of these lines whose covered mass is not read yet."""
        unknown = {
            n.reference: n
            for key in keys
            for n in self.reachable.get(key, ())
            if n.reference not in self.covered
        }
        return list(unknown.values())

    def evaluate(
        self,
        key: LineKey,
        now: datetime,
        *,
        contenders: bool = False,
        degraded: Mapping[Regime, str] | None = None,
    ) -> Evaluation:
        """The line decided on every candidate in its reach, or on those that may match it."""
        line = self.lines[key]
        held_since = self.schedule.get(key, (None, False, None))[2]
        candidates = (self.contenders if contenders else self.reachable).get(key, ())
        return evaluate(
            line.record,
            line.facts,
            [
                Evidence(n, sum(kg for k, kg in self.covered[n.reference].items() if k != key))
                for n in candidates
            ],
            self.etas.get(key[0], ()),
            self.arrivals.get(key[0], ()),
            (
                degraded_feeds(self.feeds, now, self.indicators.parameters)
                if degraded is None
                else degraded
            ),
            self.previous.get(key),
            self.indicators,
            now,
            Backlog(self.watermark, held_since or now) if self.awaits_watermark else None,
        )


async def _lines(
    conn: AsyncConnection, keys: set[LineKey], known: Mapping[LineKey, StoredLine]
) -> dict[LineKey, StoredLine]:
    lines = {k: known[k] for k in keys if k in known}
    if len(lines) == len(keys):
        return lines
    rows = await conn.execute(
        select(line.c.manifest_id, line.c.line_id, line.c.record).where(
            of_lines(line, keys - set(lines))
        )
    )
    records = {(r.manifest_id, r.line_id): ManifestLine.model_validate(r.record) for r in rows}
    linked = await linked_references(conn, records)
    for key, record in records.items():
        lines[key] = StoredLine(record, LineFacts.of(record, linked.get(key, ())))
    return lines


class _FactsCache:
    """Parsed facts of stored pre-notification versions, least recently used out. A version
    never changes once stored, so the cache needs no invalidation, in any number of matcher
    processes; it saves reading and parsing a vessel's notifications for every batch."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._facts: OrderedDict[tuple[str, int], NotificationFacts] = OrderedDict()

    def get(self, reference: str, version: int) -> NotificationFacts | None:
        found = self._facts.get((reference, version))
        if found is not None:
            self._facts.move_to_end((reference, version))
        return found

    def put(self, version: int, facts: NotificationFacts) -> None:
        self._facts[(facts.reference, version)] = facts
        if len(self._facts) > self._capacity:
            self._facts.popitem(last=False)


_facts_cache = _FactsCache(capacity=50_000)


def remember(version: int, facts: NotificationFacts) -> None:
    """A pre-notification version just stored: its facts are known without a read."""
    _facts_cache.put(version, facts)


async def _candidates(
    conn: AsyncConnection, lines: list[StoredLine], read: Footprint
) -> list[NotificationFacts]:
    """Stage 4 in SQL: pre-notifications sharing a block key with a line, one index probe per
    key, with their version; the facts of versions seen before come from the cache. The domain
    then applies the exact block rules (arrival window, party)."""
    if not lines:
        return []
    keys = _block_keys(lines)
    read.notification_keys |= keys
    versions = await conn.execute(notifications_with_keys(keys))
    found: dict[str, NotificationFacts] = {}
    missing = []
    for reference, version in versions:
        cached = _facts_cache.get(reference, version)
        if cached is None:
            missing.append(reference)
        else:
            found[reference] = cached
    if missing:
        for reference, version, facts, keys in await conn.execute(
            select(
                prenotification.c.reference,
                prenotification.c.version,
                prenotification.c.facts,
                prenotification.c.block_keys,
            ).where(
                prenotification.c.reference == any_of(missing),
                prenotification.c.facts.is_not(None),
            )
        ):
            # Stored with the facts of the same version; none only in rows older than the keys.
            found[reference] = NotificationFacts.from_json(facts, keys or None)
            _facts_cache.put(version, found[reference])
    read.notifications.update(found)
    return [found[r] for r in sorted(found)]


@dataclass
class _Found:
    lines: dict[LineKey, StoredLine]
    controlled: set[LineKey]
    candidates: list[NotificationFacts]
    covered: dict[str, dict[LineKey, float]]

    def index(self) -> _BatchIndex:
        return _BatchIndex(
            NotificationIndex(self.candidates, only=_block_keys(self.lines.values()))
        )


class _BatchIndex:
    """A batch's notification index: each line's candidates looked up once, for coverage and
    for reach alike (the index does not change while the batch is decided)."""

    def __init__(self, index: NotificationIndex) -> None:
        self._index = index
        self._found: dict[LineFacts, list[NotificationFacts]] = {}

    def candidates(self, facts: LineFacts) -> list[NotificationFacts]:
        found = self._found.get(facts)
        if found is None:
            found = self._found[facts] = self._index.candidates(facts)
        return found


async def _lines_and_candidates(
    conn: AsyncConnection,
    keys: set[LineKey],
    indicators: IndicatorSet,
    known: Mapping[LineKey, StoredLine],
    read: Footprint,
    *,
    expand: bool,
) -> tuple[_Found, _BatchIndex]:
    """The lines and the candidates of those the indicator set selects (most manifest lines
    carry goods nobody notifies). Expanded: plus every other line a pre-notification covering
    one of them covers (a new line changes the summed mass that notification is weighed
    against), and their candidates; each row is read once."""

    async def found(keys: set[LineKey]) -> _Found:
        lines = await _lines(conn, keys, known)
        controlled = {k for k, v in lines.items() if select_regimes(v.record, indicators)}
        return _Found(
            lines, controlled, await _candidates(conn, [lines[k] for k in controlled], read), {}
        )

    first = await found(keys)
    if not expand:
        return first, first.index()
    index = first.index()
    covering = {
        n.reference: n
        for f in (line_.facts for line_ in first.lines.values())
        for n in index.candidates(f)
        if covers(f.strong_keys, f.containers, f.transport_document, n)
    }
    first.covered = await _covered(conn, list(covering.values()), read)
    more = {k for lines in first.covered.values() for k in lines} - set(first.lines)
    if not more:
        return first, index
    then = await found(more)
    seen = {n.reference for n in first.candidates}
    expanded = _Found(
        first.lines | then.lines,
        first.controlled | then.controlled,
        sorted(
            [*first.candidates, *(n for n in then.candidates if n.reference not in seen)],
            key=lambda n: n.reference,
        ),
        first.covered,
    )
    return expanded, expanded.index()


def _block_keys(lines: Iterable[StoredLine]) -> set[str]:
    return {k for line_ in lines for k in line_.facts.block_keys}


async def load_state(
    conn: AsyncConnection,
    keys: set[LineKey],
    indicators: IndicatorSet,
    *,
    expand: bool,
    known: Mapping[LineKey, StoredLine] | None = None,
    awaits_watermark: bool = True,
) -> MatcherState:
    """`known`: lines the caller has just stored, so they are not read back and parsed.
    `awaits_watermark`: blocks wait for the pre-notification watermark (docs/watermark.md)."""
    read = Footprint(feeds=True)
    loaded, index = await _lines_and_candidates(
        conn, keys, indicators, known or {}, read, expand=expand
    )
    lines = loaded.lines
    manifests = sorted({k[0] for k in lines})
    etas: dict[str, list[EtaFacts]] = defaultdict(list)
    for r in await conn.execute(select(eta_update).where(eta_update.c.manifest_id.in_(manifests))):
        etas[r.manifest_id].append(
            EtaFacts(r.manifest_id, _set(r.containers), r.eta, r.received_at)
        )
    arrivals: dict[str, list[ArrivalFacts]] = defaultdict(list)
    for r in await conn.execute(select(arrival).where(arrival.c.manifest_id.in_(manifests))):
        arrivals[r.manifest_id].append(
            ArrivalFacts(r.manifest_id, _set(r.containers), r.arrived_at)
        )
    previous: dict[LineKey, Decision] = {}
    schedule: dict[LineKey, Schedule] = {}
    for r in await conn.execute(
        select(
            decision.c.manifest_id,
            decision.c.line_id,
            decision.c.payload,
            decision.c.next_deadline,
            decision.c.feed_held,
            decision.c.held_since,
        ).where(of_lines(decision, lines))
    ):
        previous[(r.manifest_id, r.line_id)] = Decision.model_validate(r.payload)
        schedule[(r.manifest_id, r.line_id)] = (r.next_deadline, r.feed_held, r.held_since)
    feeds = [FeedStatus.model_validate(r.status) for r in await conn.execute(select(feed))]
    state = MatcherState(
        indicators,
        lines,
        {},
        {},
        loaded.covered,
        etas,
        arrivals,
        feeds,
        previous,
        schedule,
        read,
        awaits_watermark,
        await read_watermark(conn) if awaits_watermark else None,
    )
    state.find_reachable(loaded.controlled, index)
    contenders = {n.reference: n for found in state.contenders.values() for n in found}
    state.covered |= await _covered(
        conn, [n for r, n in contenders.items() if r not in loaded.covered], read
    )
    read.add_lines(lines)
    read.manifests.update(manifests)
    return state


async def read_watermark(conn: AsyncConnection) -> datetime | None:
    """The pre-notification feed's watermark: the lowest of its partitions' (see
    `domain.watermark`)."""
    rows = await conn.execute(
        select(
            prenotification_watermark.c.partition,
            prenotification_watermark.c.partitions,
            prenotification_watermark.c.watermark,
        )
    )
    return feed_watermark(PartitionMark(*r) for r in rows)


async def evaluate_lines(
    conn: AsyncConnection, state: MatcherState, now: datetime
) -> list[tuple[LineKey, Evaluation]]:
    """Every line, decided first on the candidates that may match it. A line one of them
    matches in every regime is decided: the others could score `review` at most, which
    changes nothing there (`settled_by_match`), so the masses they cover are not read. The
    other lines are decided again on every candidate in reach, once those masses are read."""
    degraded = degraded_feeds(state.feeds, now, state.indicators.parameters)
    # A sign of life of a feed silent now would change what these lines are decided on.
    state.read.feed_life = bool(degraded)
    first = {
        key: state.evaluate(key, now, contenders=True, degraded=degraded) for key in state.keys
    }
    again = [
        key
        for key, e in first.items()
        if len(state.contenders.get(key, ())) < len(state.reachable.get(key, ()))
        and not settled_by_match(e.decision.per_regime)
    ]
    state.covered |= await _covered(conn, state.unknown_masses(again), state.read)
    state.read.add_lines(k for lines in state.covered.values() for k in lines)
    return [
        (key, state.evaluate(key, now, degraded=degraded) if key in again else e)
        for key, e in first.items()
    ]


async def _covered(
    conn: AsyncConnection, candidates: list[NotificationFacts], read: Footprint
) -> dict[str, dict[LineKey, float]]:
    """Per candidate, the gross mass of every line it covers by key (a strong key or a typo
    of one)."""
    if not candidates:
        return {}
    by_reference = {n.reference: n for n in candidates}
    for n in candidates:
        read.add_coverage(n)
    covered: dict[str, dict[LineKey, float]] = {r: {} for r in by_reference}
    for r in await conn.execute(lines_near(by_reference)):
        containers = frozenset(r.containers)
        strong = strong_keys(containers, r.transport_document, ()) | set(r.references or ())
        if covers(strong, containers, r.transport_document, by_reference[r.reference]):
            covered[r.reference][(r.manifest_id, r.line_id)] = r.gross_mass_kg
    return covered


def _set(values: Any) -> frozenset[str] | None:
    return None if values is None else frozenset(values)
