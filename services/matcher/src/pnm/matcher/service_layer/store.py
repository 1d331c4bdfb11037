"""What the matcher's service layer asks of its storage. A store keeps state and answers
questions; it never decides (no regime selection, reach, coverage or feed rule in a store). Its
writes are conditional in one way only, the same in every store: a newer version (or a later
moment) replaces what is kept, an older or equal one is ignored. Questions are asked per batch,
with sets, never per line: PostgreSQL answers each with one statement."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.matching import ArrivalFacts, EtaFacts, Evaluation
from pnm.matcher.domain.quantity import Quantity
from pnm.matcher.domain.watermark import PartitionMark
from pnm.shared.contracts.records import (
    CaseChanged,
    Decision,
    FeedStatus,
    LineKey,
    ManifestLine,
    PreNotification,
)

# A decision's schedule: next deadline, held back (feed outage or watermark), held since.
Schedule = tuple[datetime | None, bool, datetime | None]
UNSCHEDULED: Schedule = (None, False, None)


@dataclass(frozen=True, slots=True)
class StoredLine:
    record: ManifestLine
    facts: LineFacts  # with the references linked to the line's case (docs/cases.md)


@dataclass(frozen=True, slots=True)
class LineInput:
    line: StoredLine
    raw: Mapping[str, Any] | None  # the record as received, kept as is where it is kept
    cause: str | None  # correlation id of the event that brought it


@dataclass(frozen=True, slots=True)
class NotificationInput:
    record: PreNotification
    facts: NotificationFacts
    raw: Mapping[str, Any] | None
    cause: str | None


@dataclass(frozen=True, slots=True)
class NotificationWritten:
    facts: NotificationFacts
    previous_keys: frozenset[str]  # block keys of the version it replaced; empty when new


@dataclass(frozen=True, slots=True)
class NearLine:
    """What the coverage rule needs of a line sharing a non-weak key with a notification."""

    key: LineKey
    strong_keys: frozenset[str]
    containers: frozenset[str]
    transport_document: str
    quantity: Quantity  # gross mass and packages


# What a decision row keeps beside the decision: its schedule, the port and the current ETA
# (what the decisions are listed by).
DecisionRow = tuple[Schedule, str | None, datetime | None]


@dataclass(frozen=True, slots=True)
class StoredDecision:
    decision: Decision
    schedule: Schedule
    port: str | None
    eta: datetime | None

    @property
    def row(self) -> DecisionRow:
        return (self.schedule, self.port, self.eta)


@dataclass(frozen=True, slots=True)
class Decided:
    """A line decided in a step, with what the decision row keeps beside the decision."""

    key: LineKey
    evaluation: Evaluation
    port: str
    eta: datetime

    @property
    def schedule(self) -> Schedule:
        e = self.evaluation
        return (e.next_deadline, e.feed_held, e.held_since)

    @property
    def row(self) -> DecisionRow:
        return (self.schedule, self.port, self.eta)


@dataclass(frozen=True, slots=True)
class DecisionStep:
    """What a decision step keeps: every line it decided, of those the decisions that changed
    in substance and the unchanged ones with a new row (schedule, port, ETA), and when."""

    decided: Sequence[Decided]
    changed: Sequence[Decided]
    rescheduled: Sequence[Decided]
    at: datetime


class Store(Protocol):
    # Inputs kept (newest version wins; each returns what it wrote) ----------------------
    async def put_lines(self, lines: Sequence[LineInput]) -> dict[LineKey, StoredLine]: ...
    async def put_notifications(
        self, notifications: Sequence[NotificationInput]
    ) -> list[NotificationWritten]: ...
    async def add_arrivals(self, arrivals: Sequence[ArrivalFacts]) -> None: ...
    async def add_eta_updates(self, updates: Sequence[EtaFacts]) -> None: ...
    async def put_feed_statuses(self, statuses: Sequence[FeedStatus]) -> None: ...
    async def note_feed_life(self, life: Mapping[str, datetime]) -> None: ...
    async def put_watermarks(self, marks: Sequence[PartitionMark], at: datetime) -> None: ...
    async def put_links(self, cases: Sequence[CaseChanged]) -> dict[LineKey, StoredLine]: ...
    async def save_decisions(self, step: DecisionStep) -> None: ...

    # Questions ---------------------------------------------------------------------------
    async def indicator_set(self) -> IndicatorSet: ...
    async def lines(self, keys: Collection[LineKey]) -> dict[LineKey, StoredLine]: ...
    async def lines_with_keys(self, block_keys: Collection[str]) -> dict[str, set[LineKey]]: ...
    async def lines_quoting(self, references: Collection[str]) -> dict[str, set[LineKey]]: ...
    async def lines_of_manifests(
        self, manifests: Collection[str]
    ) -> dict[str, list[tuple[LineKey, frozenset[str]]]]: ...
    async def held_lines(self) -> set[LineKey]:
        """Lines whose decision is held back for a feed outage or the watermark."""
        ...

    async def overdue_lines(self) -> set[LineKey]:
        """Lines overdue in some regime (an outage of its feed holds that back)."""
        ...

    async def any_held(self) -> bool: ...
    async def due_lines(self, now: datetime, limit: int | None) -> list[LineKey]: ...
    async def next_due(self) -> datetime | None:
        """The earliest deadline of any line."""
        ...

    async def notifications_with_keys(
        self, block_keys: Collection[str]
    ) -> list[NotificationFacts]: ...
    async def lines_near(
        self, notifications: Collection[NotificationFacts]
    ) -> dict[str, list[NearLine]]: ...
    async def etas(self, manifests: Collection[str]) -> dict[str, list[EtaFacts]]: ...
    async def arrivals(self, manifests: Collection[str]) -> dict[str, list[ArrivalFacts]]: ...
    async def feeds(self) -> list[FeedStatus]: ...
    async def watermark(self) -> datetime | None: ...
    async def decisions(self, keys: Collection[LineKey]) -> dict[LineKey, StoredDecision]: ...

    # Concurrency (several matcher processes over one database; a memory store is alone) ---
    async def begin_optimistic(self) -> int | None:
        """Before deciding without the decision lock: a mark to check against later, or None
        when the store cannot decide optimistically."""
        ...

    async def serialise(self) -> None:
        """Hold the decision lock until the step's inputs and decisions are kept."""
        ...

    async def changed_since(self, mark: int) -> bool:
        """Under the lock: whether anything this step read changed after `mark`."""
        ...

    async def depends_on_feed_life(self) -> None:
        """The step decided with a feed degraded: a sign of life of it would change that."""
        ...

    async def record_epoch(self) -> None:
        """Under the lock: what this step wrote, for optimistic steps running concurrently."""
        ...
