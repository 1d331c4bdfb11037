"""The matcher's store in memory (`service_layer.store.Store`): what `pnm replay`, the property
tests and the benchmarks run the service layer over. The same conditional writes as the
PostgreSQL store (a newer version or moment replaces what is kept), indexes instead of tables,
and no concurrency: one replay decides alone."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.feeds import with_life
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.keys import WEAK
from pnm.matcher.domain.matching import ArrivalFacts, EtaFacts
from pnm.matcher.domain.quantity import Quantity
from pnm.matcher.domain.watermark import PartitionMark, feed_watermark
from pnm.matcher.service_layer.store import (
    DecisionStep,
    LineInput,
    NearLine,
    NotificationInput,
    NotificationWritten,
    StoredDecision,
    StoredLine,
)
from pnm.shared.contracts.records import CaseChanged, Decision, DecisionStatus, FeedStatus, LineKey
from pnm.shared.versions import newer_wins

OVERDUE = DecisionStatus.OVERDUE


def _mark(keys: set[LineKey], key: LineKey, member: bool) -> None:
    if member:
        keys.add(key)
    else:
        keys.discard(key)


class MemoryStore:
    def __init__(self, indicators: IndicatorSet) -> None:
        self._indicators = indicators
        self._lines: dict[LineKey, StoredLine] = {}
        self._lines_by_key: dict[str, set[LineKey]] = defaultdict(set)
        self._lines_by_manifest: dict[str, set[LineKey]] = defaultdict(set)
        self._notifications: dict[str, tuple[int, NotificationFacts]] = {}
        self._notifications_by_key: dict[str, set[str]] = defaultdict(set)
        self._etas: dict[str, list[EtaFacts]] = defaultdict(list)
        self._arrivals: dict[str, list[ArrivalFacts]] = defaultdict(list)
        self._feeds: dict[str, FeedStatus] = {}
        self._marks: dict[int, PartitionMark] = {}
        # Per line and case, the references linked to it and when (docs/cases.md).
        self._links: dict[LineKey, dict[str, tuple[frozenset[str], datetime]]] = {}
        self._decisions: dict[LineKey, StoredDecision] = {}
        self._quoting: dict[str, set[LineKey]] = defaultdict(set)
        self._held: set[LineKey] = set()
        self._overdue: set[LineKey] = set()
        # Deadlines as a heap; an entry no longer the line's deadline is skipped when popped.
        self._deadlines: list[tuple[datetime, LineKey]] = []

    @property
    def decisions_made(self) -> dict[LineKey, Decision]:
        return {key: d.decision for key, d in self._decisions.items()}

    async def next_due(self) -> datetime | None:
        while self._deadlines and not self._current(*self._deadlines[0]):
            heapq.heappop(self._deadlines)
        return self._deadlines[0][0] if self._deadlines else None

    def _current(self, at: datetime, key: LineKey) -> bool:
        stored = self._decisions.get(key)
        return stored is not None and stored.schedule[0] == at

    # Inputs ------------------------------------------------------------------------------

    async def put_lines(self, lines: Sequence[LineInput]) -> dict[LineKey, StoredLine]:
        written = {}
        for given in lines:
            record = given.line.record
            key = (record.manifest_id, record.line_id)
            known = self._lines.get(key)
            if known is not None and not newer_wins(known.record.version, record.version):
                continue
            linked = self._linked(key)
            written[key] = (
                given.line if not linked else StoredLine(record, LineFacts.of(record, linked))
            )
        self._keep_lines(written)
        return written

    def _keep_lines(self, lines: Mapping[LineKey, StoredLine]) -> None:
        for key, stored in lines.items():
            known = self._lines.get(key)
            if known is not None:
                for k in known.facts.block_keys:
                    self._lines_by_key[k].discard(key)
            self._lines[key] = stored
            self._lines_by_manifest[key[0]].add(key)
            for k in stored.facts.block_keys:
                self._lines_by_key[k].add(key)

    def _linked(self, key: LineKey) -> frozenset[str]:
        return frozenset().union(*(refs for refs, _ in self._links.get(key, {}).values()))

    async def put_notifications(
        self, notifications: Sequence[NotificationInput]
    ) -> list[NotificationWritten]:
        written = []
        for given in notifications:
            reference, version = given.record.reference, given.record.version
            known = self._notifications.get(reference)
            if known is not None and not newer_wins(known[0], version):
                continue
            previous = known[1].block_keys if known is not None else frozenset()
            for k in previous:
                self._notifications_by_key[k].discard(reference)
            self._notifications[reference] = (version, given.facts)
            for k in given.facts.block_keys:
                self._notifications_by_key[k].add(reference)
            written.append(NotificationWritten(given.facts, previous))
        return written

    async def add_arrivals(self, arrivals: Sequence[ArrivalFacts]) -> None:
        for a in arrivals:
            self._arrivals[a.manifest_id].append(a)

    async def add_eta_updates(self, updates: Sequence[EtaFacts]) -> None:
        for u in updates:
            self._etas[u.manifest_id].append(u)

    async def put_feed_statuses(self, statuses: Sequence[FeedStatus]) -> None:
        for status in statuses:
            known = self._feeds.get(status.system)
            if known is None or known.at <= status.at:
                self._feeds[status.system] = status

    async def note_feed_life(self, life: Mapping[str, datetime]) -> None:
        self._feeds = {feed.system: feed for feed in with_life(self._feeds.values(), life)}

    async def put_watermarks(self, marks: Sequence[PartitionMark], at: datetime) -> None:
        for mark in marks:
            known = self._marks.get(mark.partition)
            if known is None or known.watermark < mark.watermark:
                self._marks[mark.partition] = mark

    async def put_links(self, cases: Sequence[CaseChanged]) -> dict[LineKey, StoredLine]:
        for case in cases:
            links = self._links.setdefault((case.manifest_id, case.line_id), {})
            known = links.get(case.case_id)
            if known is None or known[1] <= case.at:
                links[case.case_id] = (frozenset(case.references), case.at)
        relinked = {
            key: StoredLine(self._lines[key].record, LineFacts.of(self._lines[key].record, linked))
            for key in {(c.manifest_id, c.line_id) for c in cases}
            if key in self._lines and (linked := self._linked(key))
        }
        self._keep_lines(relinked)
        return relinked

    async def save_decisions(self, step: DecisionStep) -> None:
        for d in [*step.changed, *step.rescheduled]:
            known = self._decisions.get(d.key)
            if d.evaluation.changed:
                if known is not None:
                    for reference in known.decision.references:
                        self._quoting[reference].discard(d.key)
                for reference in d.evaluation.decision.references:
                    self._quoting[reference].add(d.key)
                kept = d.evaluation.decision
            else:
                assert known is not None, "only a decision kept before is rescheduled"
                kept = known.decision
            self._decisions[d.key] = StoredDecision(kept, d.schedule, d.port, d.eta)
            _mark(self._held, d.key, d.evaluation.feed_held)
            _mark(self._overdue, d.key, any(r.status is OVERDUE for r in kept.per_regime))
            deadline = d.evaluation.next_deadline
            if deadline is not None and (known is None or known.schedule[0] != deadline):
                heapq.heappush(self._deadlines, (deadline, d.key))

    # Questions ---------------------------------------------------------------------------

    async def indicator_set(self) -> IndicatorSet:
        return self._indicators

    async def lines(self, keys: Collection[LineKey]) -> dict[LineKey, StoredLine]:
        return {key: self._lines[key] for key in keys if key in self._lines}

    async def lines_with_keys(self, block_keys: Collection[str]) -> dict[str, set[LineKey]]:
        return {k: set(self._lines_by_key[k]) for k in block_keys if self._lines_by_key.get(k)}

    async def lines_quoting(self, references: Collection[str]) -> dict[str, set[LineKey]]:
        return {r: set(self._quoting[r]) for r in references if self._quoting.get(r)}

    async def lines_of_manifests(
        self, manifests: Collection[str]
    ) -> dict[str, list[tuple[LineKey, frozenset[str]]]]:
        return {
            m: [(key, self._lines[key].facts.containers) for key in self._lines_by_manifest[m]]
            for m in manifests
            if m in self._lines_by_manifest
        }

    async def held_lines(self) -> set[LineKey]:
        return set(self._held)

    async def overdue_lines(self) -> set[LineKey]:
        return set(self._overdue)

    async def any_held(self) -> bool:
        return bool(self._held)

    async def due_lines(self, now: datetime, limit: int | None) -> list[LineKey]:
        due: list[LineKey] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            at, key = heapq.heappop(self._deadlines)
            if self._current(at, key) and key not in due:
                due.append(key)
            if limit is not None and len(due) >= limit:
                break
        return due

    async def notifications_with_keys(self, block_keys: Collection[str]) -> list[NotificationFacts]:
        by_key = self._notifications_by_key
        references = set().union(*(by_key[k] for k in block_keys if k in by_key))
        return [self._notifications[r][1] for r in sorted(references)]

    async def lines_near(
        self, notifications: Collection[NotificationFacts]
    ) -> dict[str, list[NearLine]]:
        near: dict[str, list[NearLine]] = {}
        for n in notifications:
            keys: set[LineKey] = set()
            for k in n.block_keys:
                if not k.startswith(WEAK):
                    keys |= self._lines_by_key.get(k, set())
            facts = {key: self._lines[key].facts for key in keys}
            near[n.reference] = [
                NearLine(
                    key,
                    f.strong_keys,
                    f.containers,
                    f.transport_document,
                    Quantity(f.gross_mass_kg, f.packages),
                )
                for key, f in facts.items()
            ]
        return near

    async def etas(self, manifests: Collection[str]) -> dict[str, list[EtaFacts]]:
        return {m: self._etas[m] for m in manifests if m in self._etas}

    async def arrivals(self, manifests: Collection[str]) -> dict[str, list[ArrivalFacts]]:
        return {m: self._arrivals[m] for m in manifests if m in self._arrivals}

    async def feeds(self) -> list[FeedStatus]:
        return list(self._feeds.values())

    async def watermark(self) -> datetime | None:
        return feed_watermark(self._marks.values())

    async def decisions(self, keys: Collection[LineKey]) -> dict[LineKey, StoredDecision]:
        return {key: self._decisions[key] for key in keys if key in self._decisions}

    # Concurrency: a replay decides alone ---------------------------------------------------

    async def begin_optimistic(self) -> int | None:
        return None

    async def serialise(self) -> None:
        return None

    async def changed_since(self, mark: int) -> bool:
        return False

    async def depends_on_feed_life(self) -> None:
        return None

    async def record_epoch(self) -> None:
        return None
