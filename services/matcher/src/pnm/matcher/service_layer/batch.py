"""One unit of work of the matcher: the inputs of a consumed batch (or a deadline scan, or a
replay step), filled by the handlers and applied once, before the transaction commits
(`service.apply`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.matching import ArrivalFacts, EtaFacts
from pnm.matcher.domain.watermark import PartitionMark
from pnm.matcher.service_layer.store import (
    LineInput,
    NotificationInput,
    StoredLine,
)
from pnm.shared.contracts.records import (
    Arrival,
    CaseChanged,
    EtaUpdate,
    FeedStatus,
    LineKey,
    ManifestLine,
    PreNotification,
    Record,
)
from pnm.shared.identifiers import container_number
from pnm.shared.versions import keep_newest

Cause = str | None  # the correlation id of the input, carried by the decisions it causes


def _normalised_containers(raw: list[str] | None) -> frozenset[str] | None:
    return None if raw is None else frozenset(container_number(c).value for c in raw)


@dataclass
class Batch:
    # Each line and pre-notification once, its newest version in the batch (a batch may bring
    # several versions of one, in any order; one statement may not write a key twice).
    lines: dict[LineKey, LineInput] = field(default_factory=dict)
    notifications: dict[str, NotificationInput] = field(default_factory=dict)
    arrivals: list[tuple[ArrivalFacts, Cause]] = field(default_factory=list)
    eta_updates: list[tuple[EtaFacts, Cause]] = field(default_factory=list)
    feed_statuses: list[tuple[FeedStatus, Cause]] = field(default_factory=list)
    # A pre-notification is a sign of life of its feed: per system, when, and whose.
    feed_life: dict[str, tuple[datetime, Cause]] = field(default_factory=dict)
    watermarks: list[PartitionMark] = field(default_factory=list)
    links: list[tuple[CaseChanged, Cause]] = field(default_factory=list)
    due: list[LineKey] = field(default_factory=list)  # lines whose deadline passed

    def add_line(self, record: ManifestLine, raw: Mapping[str, Any] | None, cause: Cause) -> None:
        keep_newest(
            self.lines,
            (record.manifest_id, record.line_id),
            LineInput(StoredLine(record, LineFacts.of(record)), raw, cause),
            lambda kept: kept.line.record.version,
        )

    def add_notification(
        self, record: PreNotification, raw: Mapping[str, Any] | None, at: datetime, cause: Cause
    ) -> None:
        life = self.feed_life.get(record.system)
        if life is None or life[0] < at:
            self.feed_life[record.system] = (at, cause)
        keep_newest(
            self.notifications,
            record.reference,
            NotificationInput(record, NotificationFacts.of(record), raw, cause),
            lambda kept: kept.record.version,
        )

    def add_arrival(self, record: Arrival, cause: Cause) -> None:
        arrival = ArrivalFacts(
            record.manifest_id, _normalised_containers(record.containers), record.arrived_at
        )
        self.arrivals.append((arrival, cause))

    def add_eta_update(self, record: EtaUpdate, received_at: datetime, cause: Cause) -> None:
        eta = EtaFacts(
            record.manifest_id, _normalised_containers(record.containers), record.eta, received_at
        )
        self.eta_updates.append((eta, cause))

    def add(self, record: Record, at: datetime, cause: Cause = None) -> None:
        """Any input record, by its type, received at `at` without its raw form (a replay)."""
        if isinstance(record, ManifestLine):
            self.add_line(record, None, cause)
        elif isinstance(record, PreNotification):
            self.add_notification(record, None, at, cause)
        elif isinstance(record, Arrival):
            self.add_arrival(record, cause)
        elif isinstance(record, EtaUpdate):
            self.add_eta_update(record, at, cause)
        elif isinstance(record, FeedStatus):
            self.feed_statuses.append((record, cause))
        elif isinstance(record, CaseChanged):
            self.links.append((record, cause))
        else:
            raise TypeError(f"the matcher takes no {type(record).__name__}")

    def _besides_lines(self) -> tuple[object, ...]:
        return (
            self.notifications,
            self.arrivals,
            self.eta_updates,
            self.feed_statuses,
            self.feed_life,
            self.watermarks,
            self.links,
            self.due,
        )

    @property
    def lines_only(self) -> bool:
        """Only lines: decided before the decision lock and checked under it (`service`)."""
        return bool(self.lines) and not any(self._besides_lines())

    def __bool__(self) -> bool:
        return bool(self.lines) or any(self._besides_lines())
