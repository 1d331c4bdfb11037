"""The outbox relay: publishes committed outbox rows in order and marks them published.

A crash between publishing and marking re-publishes those rows on restart; consumers
de-duplicate on the event id. One relay per service is active at a time (advisory lock),
so rows of one key are never published out of order by two relays.

A service may ask for watermarks on some of its topics: after every pass that published all
the rows it saw, and at least every `watermark_seconds` while idle, the relay stamps each
partition of those topics with W, the database's clock read just before it looked for rows.
Under READ COMMITTED that look sees every row committed before W, so a consumer that has
read a partition up to the stamp has every event of it committed before W
(docs/watermark.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, any_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import Watermark
from pnm.shared.contracts.topics import Topic
from pnm.shared.messaging.tables import MessagingTables
from pnm.shared.messaging.transport import OutgoingMessage, Publisher
from pnm.shared.observability import EVENTS_PUBLISHED, OUTBOX_PENDING, Heartbeat, log_fields

log = logging.getLogger(__name__)
# While another instance's relay holds the outbox: it read the rows before ours were committed,
# so ours are published as soon as it is done, not at the next poll.
BUSY_RETRY_SECONDS = 0.02


def watermark_event_type(topic: Topic) -> str:
    """The event type a topic carries its watermarks as."""
    for event_type, record in topic.others:
        if record is Watermark:
            return event_type
    raise ValueError(f"{topic.name} carries no watermark")


def watermarks(service: str, topics: Sequence[Topic], at: datetime) -> list[OutgoingMessage]:
    """One watermark per partition of each topic, addressed to that partition."""
    return [
        OutgoingMessage(
            topic=topic.name,
            key="watermark",
            partition=partition,
            value=new_event(
                type=watermark_event_type(topic),
                source=f"/pnm/{service}/relay",
                subject=f"{topic.name}/{partition}",
                record=Watermark(partition=partition, partitions=topic.partitions, watermark=at),
            ).to_json(),
        )
        for topic in topics
        for partition in range(topic.partitions)
    ]


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        messaging: MessagingTables,
        publisher: Publisher,
        heartbeat: Heartbeat,
        batch_size: int = 500,
        idle_seconds: float = 1.0,
        watermarked: Sequence[Topic] = (),
        watermark_seconds: float = 0.5,
    ) -> None:
        self._service = service
        self._engine = engine
        self._outbox = messaging.outbox
        self._publisher = publisher
        self._heartbeat = heartbeat
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._watermarked = list(watermarked)
        for topic in self._watermarked:
            watermark_event_type(topic)  # refused at start, not at the first stamp
        self._watermark_seconds = watermark_seconds
        self._stamped_at = float("-inf")  # monotonic time of the last stamp
        self._lock_key = zlib.crc32(f"pnm-outbox-relay:{service}".encode())
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that staged events, so they leave without waiting a poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def publish_pending(self) -> int | None:
        """Publish one batch; return how many rows were published, or None while another
        relay of the service holds the outbox."""
        outbox = self._outbox
        async with self._engine.begin() as conn:
            locked = await conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self._lock_key}
            )
            if not locked:
                return None
            # Before the rows are looked for: the look sees every row committed before it.
            stamp = await conn.scalar(select(func.clock_timestamp())) if self._watermarked else None
            rows = (
                await conn.execute(
                    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.payload)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            messages = [
                OutgoingMessage(topic=r.topic, key=r.key, value=bytes(r.payload)) for r in rows
            ]
            # Only a pass that saw every row committed before the stamp may stamp; an idle
            # one only when the last stamp is getting old.
            if (
                stamp is not None
                and len(rows) < self._batch_size
                and (rows or time.monotonic() - self._stamped_at >= self._watermark_seconds)
            ):
                messages += watermarks(self._service, self._watermarked, stamp)
            if not messages:
                return 0
            # In one call, after the rows: each partition gets its stamp after its rows.
            await self._publisher.publish(messages)
            if len(messages) > len(rows):
                self._stamped_at = time.monotonic()
            if rows:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == any_(literal([r.id for r in rows], ARRAY(BigInteger))))
                    .values(published_at=func.now())
                )
        for topic, count in Counter(r.topic for r in rows).items():
            EVENTS_PUBLISHED.labels(self._service, topic).inc(count)
        if len(rows) < self._batch_size:
            OUTBOX_PENDING.labels(self._service).set(0)
        return len(rows)

    async def _report_pending(self) -> None:
        """While publishing fails, the outbox backlog is what operators need to see."""
        try:
            await self.pending()
        except Exception as err:
            log.warning("outbox backlog unknown", extra=log_fields(error=repr(err)))

    async def pending(self) -> int:
        async with self._engine.connect() as conn:
            count = await conn.scalar(
                select(func.count())
                .select_from(self._outbox)
                .where(self._outbox.c.published_at.is_(None))
            )
        OUTBOX_PENDING.labels(self._service).set(count or 0)
        return int(count or 0)

    async def run(self) -> None:
        backoff = self._idle_seconds
        busy = BUSY_RETRY_SECONDS
        while not self._stopping.is_set():
            self._heartbeat.beat()
            # Cleared before publishing: a commit while this batch is out wakes the wait below.
            self._wake.clear()
            try:
                published = await self.publish_pending()
                backoff = self._idle_seconds
            except Exception as err:
                # Kafka or the database is away: nothing is marked, everything is retried.
                log.warning("outbox relay failed", extra=log_fields(error=repr(err)))
                published = 0
                backoff = min(backoff * 2, 5.0)
            if published is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=busy)
                busy = min(busy * 2, self._idle_seconds)  # the other one may be stuck
                continue
            busy = BUSY_RETRY_SECONDS
            if published == self._batch_size:
                continue  # a backlog: keep going without waiting
            if published == 0 and backoff > self._idle_seconds:
                await self._report_pending()
            if self._watermarked:
                backoff = min(backoff, self._watermark_seconds)  # stamps go on while idle
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
        self._heartbeat.stopped = True
