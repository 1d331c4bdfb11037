"""The intake pipeline's store over PostgreSQL (`store.IntakeStore`): one per unit of work,
staging its events in the unit's outbox; each intake service's store extends it with its
records' tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.topics import Topic
from pnm.shared.db import UnitOfWork
from pnm.shared.intake.store import Refuse, StoreBatch
from pnm.shared.isolation import refusal_reason, store_isolated
from pnm.shared.rejections import Refused, RejectionNumbered, Rejections

T = TypeVar("T")


@dataclass(frozen=True)
class FeedClock:
    """A service's table of when each feed last sent something: `key` names the feed,
    `at` holds the time."""

    table: Table
    key: str
    at: str

    async def touch(
        self, conn: AsyncConnection, feeds: Iterable[str], now: datetime
    ) -> dict[str, Any]:
        """Each feed sent something `now`; returns when each had before (None: never)."""
        names = sorted(set(feeds))
        if not names:
            return {}
        key, at = self.table.c[self.key], self.table.c[self.at]
        rows = await conn.execute(select(key, at).where(key.in_(names)).with_for_update())
        previous = {row[0]: row[1] for row in rows}
        stmt = pg_insert(self.table)
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=[self.key], set_={self.at: now}),
            [{self.key: name, self.at: now} for name in names],
        )
        return {name: previous.get(name) for name in names}


class PostgresIntakeStore:
    """One per unit of work: it stores nothing until the caller commits the unit."""

    def __init__(self, uow: UnitOfWork, rejections: Rejections, clock: FeedClock) -> None:
        self.uow = uow
        self._rejections = rejections
        self._clock = clock

    @property
    def conn(self) -> AsyncConnection:
        return self.uow.conn

    def publish(self, topic: Topic, key: str, event: CloudEvent) -> None:
        self.uow.publish(topic, key, event)

    async def isolated(self, items: Sequence[T], store: StoreBatch[T], refuse: Refuse[T]) -> None:
        await store_isolated(self.uow, items, store, lambda i, err: refuse(i, refusal_reason(err)))

    async def keep_refused(self, refused: Sequence[tuple[Refused, RejectionNumbered]]) -> None:
        await self._rejections.keep_refused(self.conn, refused)

    async def open_rejection(self, rejection_id: int) -> None:
        await self._rejections.open(self.conn, rejection_id)

    async def mark_resubmitted(self, rejection_id: int, accepted_as: str, now: datetime) -> None:
        await self._rejections.mark_resubmitted(self.conn, rejection_id, accepted_as, now)

    async def touch_feeds(self, feeds: Iterable[str], now: datetime) -> dict[str, datetime | None]:
        return await self._clock.touch(self.conn, feeds, now)
