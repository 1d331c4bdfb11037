"""What the intake pipeline asks of an intake service's storage, whatever its records: stage
events in the outbox, store a batch so that one record the database refuses refuses only
itself, keep refused input and close it when corrected, and the clock of when each feed last
sent something. Each intake service's store adds its records' operations
(pnm.manifest_ingest.store, pnm.prenotification.store); PostgreSQL implements it in
`postgres.py`, the unit tests in memory (tests/intake_fakes.py). A store keeps state and answers
questions; the rules (which version wins, which input is refused) are the service layer's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.topics import Topic
from pnm.shared.rejections import Refused, RejectionNumbered

T = TypeVar("T")
StoreBatch = Callable[[Sequence[T]], Awaitable[None]]  # store these records, or raise
Refuse = Callable[[T, dict[str, Any]], None]  # refuse this record, for this reason


class IntakeStore(Protocol):
    def publish(self, topic: Topic, key: str, event: CloudEvent) -> None:
        """Stage an event; it is published when the caller commits (with what it stored)."""

    async def isolated(self, items: Sequence[T], store: StoreBatch[T], refuse: Refuse[T]) -> None:
        """`store(items)` at once; when the data of one record makes the store refuse that,
        each alone, and `refuse(item, reason)` for those it still refuses. What a refused
        attempt stored or staged is undone."""

    async def keep_refused(self, refused: Sequence[tuple[Refused, RejectionNumbered]]) -> None:
        """Keep each refused input with its reasons and give its result the rejection's id."""

    async def open_rejection(self, rejection_id: int) -> None:
        """Raises DomainError 404 for an unknown rejection, 409 for one already re-submitted."""

    async def mark_resubmitted(self, rejection_id: int, accepted_as: str, now: datetime) -> None:
        """Close the rejection, naming what it was accepted as (409 when closed already)."""

    async def touch_feeds(self, feeds: Iterable[str], now: datetime) -> dict[str, datetime | None]:
        """Each feed sent something `now`; when each had before (None: never), locked until
        the caller commits."""
