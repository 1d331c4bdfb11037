"""Dead letters an operator can act on: list them with their origin (consumer, topic,
partition, offset, error, attempts), show one with its message, and re-drive it.

Two places keep them: the `<topic>.dlq` twins on Kafka (distributed mode; the origin travels in
`dlq.*` headers, see transport.dead_letter_headers) and the service's `dead_letter` table
(standalone mode). A redrive hands the message to the service's own consumer (its
EventProcessor) again, then records a `redrive` row keyed by the dead letter, so a second
redrive finds the row and applies nothing; the consumer's inbox de-duplicates by event id as
well. Nothing is published: the message's other consumers had it already.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.shared.contracts.topics import DLQ_SUFFIX
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options
from pnm.shared.messaging.tables import MessagingTables
from pnm.shared.messaging.transport import IncomingMessage

TABLE_PREFIX = "table:"
READ_TIMEOUT_MS = 2000


class UnknownDeadLetter(LookupError):
    pass


@dataclass(frozen=True)
class DeadLetter:
    id: str  # `table:<row id>`, or `<dlq topic>:<partition>:<offset>` (logical topic name)
    consumer: str
    topic: str  # where it came from and where a redrive puts it
    partition: int
    offset: int
    key: str | None
    error: str
    attempts: int
    dead_lettered_at: datetime | None
    payload: bytes
    redriven_at: datetime | None = None

    @property
    def event_id(self) -> str:
        """The CloudEvent id in the message, if it is one (a malformed message has none)."""
        try:
            value = json.loads(self.payload)
        except ValueError:
            return ""
        event_id = value.get("id") if isinstance(value, dict) else None
        return event_id if isinstance(event_id, str) else ""

    def summary(self) -> dict[str, Any]:
        fields = asdict(self)
        del fields["payload"]
        return {**fields, "event_id": self.event_id}

    def detail(self) -> dict[str, Any]:
        try:
            message: Any = json.loads(self.payload)
        except ValueError:
            message = {"base64": base64.b64encode(self.payload).decode()}
        return {**self.summary(), "message": message}


def _header(headers: Sequence[tuple[str, bytes]], name: str) -> str:
    for key, value in headers:
        if key == name:
            return value.decode(errors="replace")
    return ""


def _from_record(record: Any, prefix: str) -> DeadLetter:
    headers = list(record.headers or ())
    dlq_topic = record.topic.removeprefix(prefix)
    return DeadLetter(
        id=f"{dlq_topic}:{record.partition}:{record.offset}",
        consumer=_header(headers, "dlq.consumer"),
        topic=_header(headers, "dlq.origin.topic") or dlq_topic.removesuffix(DLQ_SUFFIX),
        partition=int(_header(headers, "dlq.origin.partition") or -1),
        offset=int(_header(headers, "dlq.origin.offset") or -1),
        key=record.key.decode(errors="replace") if record.key is not None else None,
        error=f"{_header(headers, 'dlq.error.class')}: {_header(headers, 'dlq.error.message')}",
        attempts=int(_header(headers, "dlq.attempts") or 0),
        dead_lettered_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        payload=bytes(record.value or b""),
    )


@dataclass(frozen=True)
class KafkaDeadLetterTopics:
    """The DLQ twins of the topics one consumer group reads, on one cluster."""

    bootstrap: str
    security: KafkaSecurity
    prefix: str
    consumer: str
    topics: Sequence[str]  # origin topics, logical names

    async def read(self, limit: int) -> list[DeadLetter]:
        """Up to `limit` dead letters of this consumer, oldest first per DLQ topic."""
        partitions = await self._partitions()
        if not partitions:
            return []
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self.bootstrap, self.security), enable_auto_commit=False
        )
        try:
            await consumer.start()  # in the try: a start that fails still closes the client
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
            wanted = {tp: ends[tp] for tp in partitions if ends[tp] > starts[tp]}
            for tp in wanted:
                consumer.seek(tp, starts[tp])
            found: list[DeadLetter] = []
            while wanted and len(found) < limit:
                batches = await consumer.getmany(*wanted, timeout_ms=READ_TIMEOUT_MS)
                if not batches:
                    break  # the broker stopped answering: show what was read
                for tp, records in batches.items():
                    found += [
                        d
                        for d in (_from_record(r, self.prefix) for r in records)
                        if d.consumer == self.consumer
                    ]
                    if records and records[-1].offset + 1 >= wanted[tp]:
                        del wanted[tp]
            return found[:limit]
        finally:
            await consumer.stop()

    async def _partitions(self) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(**kafka_client_options(self.bootstrap, self.security))
        await admin.start()
        try:
            described = await admin.describe_topics(
                [self.prefix + t + DLQ_SUFFIX for t in self.topics]
            )
        finally:
            await admin.close()
        return [
            TopicPartition(t["topic"], p["partition"])
            for t in described
            if t["error_code"] == 0
            for p in sorted(t["partitions"], key=lambda p: p["partition"])
        ]

    async def one(self, dead_letter_id: str) -> DeadLetter:
        dlq_topic, partition, offset = _kafka_id(dead_letter_id)
        if dlq_topic.removesuffix(DLQ_SUFFIX) not in self.topics:
            raise UnknownDeadLetter(f"{dlq_topic} is not a dead-letter topic of {self.consumer}")
        tp = TopicPartition(self.prefix + dlq_topic, partition)
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self.bootstrap, self.security), enable_auto_commit=False
        )
        try:
            await consumer.start()  # in the try: a start that fails still closes the client
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            start = (await consumer.beginning_offsets([tp]))[tp]
            if not start <= offset < end:
                raise UnknownDeadLetter(f"no dead letter {dead_letter_id}")
            consumer.seek(tp, offset)
            record = await asyncio.wait_for(consumer.getone(tp), timeout=READ_TIMEOUT_MS / 100)
        finally:
            await consumer.stop()
        found = _from_record(record, self.prefix)
        if found.consumer != self.consumer:
            raise UnknownDeadLetter(f"{dead_letter_id} is a dead letter of {found.consumer}")
        return found


def _kafka_id(dead_letter_id: str) -> tuple[str, int, int]:
    topic, _, rest = dead_letter_id.partition(":")
    partition, _, offset = rest.partition(":")
    if not topic.endswith(DLQ_SUFFIX) or not partition.isdigit() or not offset.isdigit():
        raise UnknownDeadLetter(
            f"not a dead-letter id: {dead_letter_id[:100]!r} "
            f"(expected {TABLE_PREFIX}<n> or <topic>{DLQ_SUFFIX}:<partition>:<offset>)"
        )
    return topic, int(partition), int(offset)


Reapply = Callable[[IncomingMessage], Awaitable[None]]


class CannotRedrive(Exception):
    pass


class DeadLetters:
    """A service's dead letters, wherever they are kept, and their redrive."""

    def __init__(
        self,
        engine: AsyncEngine,
        messaging: MessagingTables,
        kafka: KafkaDeadLetterTopics | None,
        reapply: Reapply | None,
    ) -> None:
        self._engine = engine
        self._messaging = messaging
        self._kafka = kafka
        self._reapply = reapply

    async def entries(self, limit: int) -> list[DeadLetter]:
        found = await self._table_rows(limit)
        if self._kafka is not None and len(found) < limit:
            found += await self._kafka.read(limit - len(found))
        return await self._with_redrives(found)

    async def get(self, dead_letter_id: str) -> DeadLetter:
        if dead_letter_id.startswith(TABLE_PREFIX):
            row_id = dead_letter_id.removeprefix(TABLE_PREFIX)
            rows = await self._table_rows(1, int(row_id)) if row_id.isdigit() else []
            if not rows:
                raise UnknownDeadLetter(f"no dead letter {dead_letter_id[:100]}")
            [found] = rows
        elif self._kafka is None:
            raise UnknownDeadLetter(f"no dead letter {dead_letter_id[:100]} (no Kafka here)")
        else:
            found = await self._kafka.one(dead_letter_id)
        [found] = await self._with_redrives([found])
        return found

    async def redrive(self, dead_letter_id: str, by: str) -> tuple[DeadLetter, bool]:
        """Apply the message again through this service's own consumer, once:
        `(dead letter, applied now)`. Not published again: the other consumers of its topic
        had it already, and a service needs no right to write the topics it reads."""
        found = await self.get(dead_letter_id)
        if found.redriven_at is not None:
            return found, False
        if self._reapply is None:
            raise CannotRedrive(f"{dead_letter_id[:100]}: this service consumes nothing")
        # Applied first, recorded after: a redrive cut short is simply tried again, and the
        # consumer's inbox applies an event once however often it comes.
        await self._reapply(
            IncomingMessage(
                topic=found.topic,
                partition=found.partition,
                offset=found.offset,
                key=found.key.encode() if found.key is not None else None,
                value=found.payload,
            )
        )
        messaging = self._messaging
        async with self._engine.begin() as conn:
            first = await conn.scalar(
                pg_insert(messaging.redrive)
                .values(
                    source=found.id,
                    origin_topic=found.topic,
                    event_id=found.event_id,
                    redriven_by=by,
                )
                .on_conflict_do_nothing()
                .returning(messaging.redrive.c.source)
            )
        [found] = await self._with_redrives([found])
        return found, first is not None

    async def _table_rows(self, limit: int, row_id: int | None = None) -> list[DeadLetter]:
        table = self._messaging.dead_letter
        query = select(table).order_by(table.c.id).limit(limit)
        if row_id is not None:
            query = query.where(table.c.id == row_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            DeadLetter(
                id=f"{TABLE_PREFIX}{r.id}",
                consumer=r.consumer,
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                key=r.key,
                error=r.error,
                attempts=r.attempts,
                dead_lettered_at=r.created_at,
                payload=bytes(r.payload),
            )
            for r in rows
        ]

    async def _with_redrives(self, found: list[DeadLetter]) -> list[DeadLetter]:
        if not found:
            return found
        redrive = self._messaging.redrive
        async with self._engine.connect() as conn:
            done = dict(
                (
                    await conn.execute(
                        select(redrive.c.source, redrive.c.redriven_at).where(
                            redrive.c.source.in_([d.id for d in found])
                        )
                    )
                ).all()
            )
        return [
            DeadLetter(**{**asdict(d), "redriven_at": done.get(d.id)}) if d.id in done else d
            for d in found
        ]
