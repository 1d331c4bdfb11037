"""The idempotent consumer on a real broker and database: a crash between the database commit
and the offset commit applies nothing twice; poison goes to the DLQ and the partition flows;
the lag is measured from the broker's end offsets while a batch is busy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaProducer
from infra import Broker, consumed, eventually, read_topic
from prometheus_client import REGISTRY
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import decision, messaging
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.topics import MANIFEST_LINES, EventType
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.messaging.kafka import (
    GroupMembership,
    KafkaConsumerLoop,
    KafkaDeadLetters,
    ResilientProducer,
)
from pnm.shared.messaging.kafka_security import KafkaSecurity
from pnm.shared.messaging.processor import EventProcessor
from pnm.shared.migrations import upgrade
from pnm.shared.observability import Heartbeat
from pnm.shared.service import ServiceContext
from pnm.testing.records import container, manifest_line

LINES = 40


def line_event(i: int) -> tuple[str, bytes]:
    line = manifest_line(
        "CRASH-1", str(i), hs_code="020130", description="beef", containers=[container(600_000 + i)]
    )
    event = new_event(
        type=EventType.MANIFEST_LINE_DECLARED, source="/test", subject=line.key, record=line
    )
    return line.key, event.to_json()


class NoOffsetCommits(KafkaConsumerLoop):
    """A consumer that dies after its database commits, before any offset commit."""

    async def _commit(self, consumer: Any, only: object = None) -> None:
        return None


def matcher_loop(
    engine: AsyncEngine,
    dead_letters: ResilientProducer,
    bootstrap: str,
    prefix: str,
    cls: type[KafkaConsumerLoop] = KafkaConsumerLoop,
    membership: GroupMembership | None = None,
) -> KafkaConsumerLoop:
    definition = ALL["matcher"]
    ctx = ServiceContext("matcher", engine, lambda: UnitOfWork(engine, messaging))
    processor = EventProcessor(
        service="matcher",
        consumer=definition.consumer_group,
        uow_factory=ctx.uow_factory,
        handlers=definition.subscriptions(ctx),
        dead_letters=KafkaDeadLetters(dead_letters, "matcher", prefix),
        max_attempts=2,
        retry_backoff=0.05,
    )
    return cls(
        processor=processor,
        topics=processor.topics,
        group_id=prefix + definition.consumer_group,
        bootstrap=bootstrap,
        security=KafkaSecurity(),
        batch_size=100,
        heartbeat=Heartbeat("matcher consumer", 60),
        prefix=prefix,
        membership=membership,
    )


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_crash_between_database_and_offset_commit_applies_nothing_twice(
    database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    dlq = ResilientProducer(kafka.bootstrap, "test-dlq", KafkaSecurity())
    await dlq.start()
    try:
        for i in range(LINES):
            key, value = line_event(i)
            await producer.send(topic_prefix + MANIFEST_LINES.name, value, key=key.encode())
        await producer.flush()

        crashing = matcher_loop(engine, dlq, kafka.bootstrap, topic_prefix, NoOffsetCommits)
        task = asyncio.create_task(crashing.run())
        await eventually(lambda: _equals(count(engine, decision), LINES))
        task.cancel()  # killed: its offsets were never committed
        await asyncio.gather(task, return_exceptions=True)
        outbox_after_crash = await count(engine, messaging.outbox)
        assert outbox_after_crash == LINES  # one decision event per line

        duplicates_before = consumed("matcher", MANIFEST_LINES.name, "duplicate")
        restarted = matcher_loop(engine, dlq, kafka.bootstrap, topic_prefix)
        task = asyncio.create_task(restarted.run())

        async def redelivered() -> bool:
            return (
                consumed("matcher", MANIFEST_LINES.name, "duplicate") - duplicates_before >= LINES
            )

        await eventually(redelivered)
        restarted.stop()
        await task
        assert await count(engine, decision) == LINES
        assert await count(engine, messaging.outbox) == outbox_after_crash, "applied twice"
        async with engine.connect() as conn:
            numbers = set((await conn.execute(select(decision.c.decision_number))).scalars())
        assert numbers == {1}
    finally:
        await producer.stop()
        await dlq.stop()
        await engine.dispose()


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def test_malformed_messages_go_to_the_dlq_with_headers_and_the_partition_flows(
    database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    topic = topic_prefix + MANIFEST_LINES.name
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    dlq = ResilientProducer(kafka.bootstrap, "test-dlq", KafkaSecurity())
    await dlq.start()
    key = b"SAME-KEY"  # one partition: the good message waits behind the bad ones
    try:
        await producer.send_and_wait(topic, b"{not json", key=key)
        _, valid_envelope = line_event(0)
        broken = valid_envelope.replace(b'"hs_code":"020130"', b'"hs_code":"beef"')
        await producer.send_and_wait(topic, broken, key=key)
        _, good = line_event(1)
        await producer.send_and_wait(topic, good, key=key)

        loop = matcher_loop(engine, dlq, kafka.bootstrap, topic_prefix)
        task = asyncio.create_task(loop.run())
        await eventually(lambda: _equals(count(engine, decision), 1))
        dead = await read_topic(kafka.bootstrap, topic + ".dlq", expect=2)
        loop.stop()
        await task
    finally:
        await producer.stop()
        await dlq.stop()
        await engine.dispose()

    assert [d.value for d in dead] == [b"{not json", broken]
    headers = [dict(d.headers) for d in dead]
    for h, offset in zip(headers, (0, 1), strict=True):
        assert h["dlq.origin.topic"] == MANIFEST_LINES.name.encode()
        assert h["dlq.origin.offset"] == str(offset).encode()
        assert h["dlq.consumer"] == b"pnm-matcher"
        assert "dlq.origin.partition" in h
    assert headers[0]["dlq.error.class"] == b"MalformedMessage"
    assert headers[0]["dlq.attempts"] == b"1"
    assert headers[1]["dlq.error.class"] == b"ValidationError"  # the record, after retries
    assert headers[1]["dlq.attempts"] == b"2"
    assert b"hs_code" in headers[1]["dlq.error.message"]


LAG_LINES = 60


def lag_metric(group: str) -> float:
    """The sum of `pnm_consumer_lag` over the partitions of `group`."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "pnm_consumer_lag"
        for sample in metric.samples
        if sample.labels.get("group") == group
    )


class StalledLoop(KafkaConsumerLoop):
    """A member whose first batch takes as long as the test wants (a slow database)."""

    release: asyncio.Event

    async def _apply(self, consumer: Any, batches: Any) -> bool:
        await self.release.wait()
        return await super()._apply(consumer, batches)


async def test_lag_shows_the_backlog_while_a_batch_is_busy_and_returns_to_zero(
    database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    dlq = ResilientProducer(kafka.bootstrap, "test-dlq", KafkaSecurity())
    await dlq.start()
    loop = matcher_loop(
        engine,
        dlq,
        kafka.bootstrap,
        topic_prefix,
        StalledLoop,
        GroupMembership(lag_interval_seconds=0.5),
    )
    assert isinstance(loop, StalledLoop)
    loop.release = asyncio.Event()
    group = topic_prefix + "pnm-matcher"
    task = asyncio.create_task(loop.run())
    try:
        for i in range(LAG_LINES):
            key, value = line_event(i)
            await producer.send(topic_prefix + MANIFEST_LINES.name, value, key=key.encode())
        await producer.flush()

        async def backlog() -> bool:
            return lag_metric(group) >= LAG_LINES and loop.lag.total >= LAG_LINES

        await eventually(backlog, timeout=60)
        detail = loop.lag.catching_up()
        assert detail is not None and detail["lag"] >= LAG_LINES
        assert all(
            name.startswith(topic_prefix + MANIFEST_LINES.name) for name in detail["partitions"]
        )

        loop.release.set()

        async def caught_up() -> bool:
            return lag_metric(group) == 0 and await count(engine, decision) == LAG_LINES

        await eventually(caught_up, timeout=60)
        assert loop.lag.catching_up() is None
    finally:
        loop.release.set()
        loop.stop()
        await task
        await producer.stop()
        await dlq.stop()
        await engine.dispose()
    assert lag_metric(group) == 0  # a member that left reports nothing it no longer owns
