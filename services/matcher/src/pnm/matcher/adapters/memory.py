"""The matcher's domain over in-memory state: what `pnm replay` runs. Same rules as the
service (newer versions win, candidates by container or transport document, a decision is
re-issued only when it changed); only the storage differs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from pnm.matcher.domain.decision import decide
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.matching import (
    ArrivalFacts,
    NotificationKeys,
    candidates_for,
    decision_record,
    has_arrived,
    same_substance,
)
from pnm.shared.contracts.records import Arrival, Decision, ManifestLine, PreNotification
from pnm.shared.identifiers import container_number, transport_document_number

LineKey = tuple[str, str]


@dataclass(frozen=True)
class _Line:
    record: ManifestLine
    containers: frozenset[str]
    transport_document: str


class InMemoryMatcher:
    def __init__(self, indicators: IndicatorSet) -> None:
        self._indicators = indicators
        self._lines: dict[LineKey, _Line] = {}
        self._notifications: dict[str, NotificationKeys] = {}
        self._versions: dict[str, int] = {}
        self._by_container: dict[str, set[str]] = defaultdict(set)
        self._by_document: dict[str, set[str]] = defaultdict(set)
        self._arrivals: dict[str, list[ArrivalFacts]] = defaultdict(list)
        self.decisions: dict[LineKey, Decision] = {}

    def line(self, record: ManifestLine, now: datetime) -> None:
        key = (record.manifest_id, record.line_id)
        known = self._lines.get(key)
        if known is not None and known.record.version >= record.version:
            return
        self._lines[key] = _Line(
            record,
            frozenset(container_number(c).value for c in record.containers),
            transport_document_number(record.transport_document.number),
        )
        self._redecide([key], now)

    def prenotification(self, record: PreNotification, now: datetime) -> None:
        if self._versions.get(record.reference, 0) >= record.version:
            return
        self._versions[record.reference] = record.version
        keys = NotificationKeys(
            record.reference,
            record.ched_type,
            record.status,
            frozenset(container_number(c).value for c in record.containers),
            transport_document_number(record.transport_document)
            if record.transport_document
            else None,
        )
        self._notifications[record.reference] = keys
        for c in keys.containers:
            self._by_container[c].add(record.reference)
        if keys.transport_document:
            self._by_document[keys.transport_document].add(record.reference)
        affected = [
            key
            for key, line in self._lines.items()
            if line.containers & keys.containers
            or (keys.transport_document and line.transport_document == keys.transport_document)
            or record.reference in (self.decisions[key].references if key in self.decisions else ())
        ]
        self._redecide(affected, now)

    def arrival(self, record: Arrival, now: datetime) -> None:
        containers = (
            frozenset(container_number(c).value for c in record.containers)
            if record.containers is not None
            else None
        )
        self._arrivals[record.manifest_id].append(ArrivalFacts(record.manifest_id, containers))
        affected = [
            key
            for key, line in self._lines.items()
            if key[0] == record.manifest_id and (containers is None or line.containers & containers)
        ]
        self._redecide(affected, now)

    def advance(self, now: datetime) -> None:
        """Let time pass: every line is re-evaluated at `now`."""
        self._redecide(list(self._lines), now)

    def _candidates(self, line: _Line) -> list[NotificationKeys]:
        references = set().union(*(self._by_container.get(c, set()) for c in line.containers))
        references |= self._by_document.get(line.transport_document, set())
        return [self._notifications[r] for r in sorted(references)]

    def _redecide(self, keys: list[LineKey], now: datetime) -> None:
        for key in keys:
            line = self._lines[key]
            outcome = decide(
                line.record,
                self._indicators,
                candidates_for(line.containers, line.transport_document, self._candidates(line)),
                has_arrived(key[0], line.containers, self._arrivals.get(key[0], [])),
            )
            previous = self.decisions.get(key)
            result = decision_record(
                line.record,
                line.containers,
                line.transport_document,
                outcome,
                previous.decision_number + 1 if previous else 1,
                self._indicators.version,
                now,
            )
            if previous is None or not same_substance(previous, result):
                self.decisions[key] = result
