"""What every intake store does (pnm.shared.intake.store.IntakeStore), in memory, for the unit
tests of the intake services' service layers: the same answers as the PostgreSQL store
(pnm.shared.intake.postgres, pnm.shared.rejections), dictionaries instead of tables. Each
service's fake extends it (tests/unit/manifest_ingest/manifest_fakes.py,
tests/unit/prenotification/prenotification_fakes.py)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.topics import Topic
from pnm.shared.http import DomainError
from pnm.shared.intake.store import Refuse, StoreBatch
from pnm.shared.rejections import Refused, RejectionNumbered, as_kept

T = TypeVar("T")


@dataclass
class KeptRejection:
    refused: Refused
    resubmitted_at: datetime | None = None
    resubmitted_as: str | None = None


class MemoryIntakeStore:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, CloudEvent]] = []  # topic, key, event: as staged
        self.rejections: dict[int, KeptRejection] = {}
        self.feed_clock: dict[str, datetime] = {}

    # Test helpers ----------------------------------------------------------------------

    def staged(self, topic: Topic) -> list[CloudEvent]:
        return [event for name, _, event in self.events if name == topic.name]

    def open_rejections(self) -> dict[int, KeptRejection]:
        return {i: r for i, r in self.rejections.items() if r.resubmitted_at is None}

    # IntakeStore -----------------------------------------------------------------------

    def publish(self, topic: Topic, key: str, event: CloudEvent) -> None:
        self.events.append((topic.name, key, event))

    async def isolated(self, items: Sequence[T], store: StoreBatch[T], refuse: Refuse[T]) -> None:
        # No data makes a dictionary refuse a record: only the undoing of a failed attempt
        # (a savepoint rolled back, its staged events dropped) is the PostgreSQL store's.
        if not items:
            return
        before = copy.deepcopy(vars(self))
        try:
            await store(items)
        except BaseException:
            vars(self).update(before)
            raise

    async def keep_refused(self, refused: Sequence[tuple[Refused, RejectionNumbered]]) -> None:
        for kept, result in refused:
            rejection_id = max(self.rejections, default=0) + 1  # an identity column
            self.rejections[rejection_id] = KeptRejection(as_kept(kept))
            result.rejection_id = rejection_id

    async def open_rejection(self, rejection_id: int) -> None:
        kept = self.rejections.get(rejection_id)
        if kept is None:
            raise DomainError(404, f"no rejection {rejection_id}")
        if kept.resubmitted_at is not None:
            raise DomainError(
                409, f"rejection {rejection_id} was already re-submitted as {kept.resubmitted_as}"
            )

    async def mark_resubmitted(self, rejection_id: int, accepted_as: str, now: datetime) -> None:
        kept = self.rejections.get(rejection_id)
        if kept is None or kept.resubmitted_at is not None:
            raise DomainError(409, f"rejection {rejection_id} was already re-submitted")
        kept.resubmitted_at, kept.resubmitted_as = now, accepted_as

    async def touch_feeds(self, feeds: Iterable[str], now: datetime) -> dict[str, datetime | None]:
        previous: dict[str, datetime | None] = {}
        for name in sorted(set(feeds)):
            previous[name] = self.last_from(name)
            self.heard_from(name, now)
        return previous

    def last_from(self, feed: str) -> datetime | None:
        return self.feed_clock.get(feed)

    def heard_from(self, feed: str, now: datetime) -> None:
        self.feed_clock[feed] = now
