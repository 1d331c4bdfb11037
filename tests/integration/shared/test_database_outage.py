"""When PostgreSQL goes away, consumers keep their place and wait: nothing is dead-lettered for
an outage, and every event is applied once the database is back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from infra import Broker, eventually, logged, read_topic
from sqlalchemy import func, select

from pnm.cli.postgres import LocalPostgres, free_port
from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import decision
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.topics import MANIFEST_LINES, EventType
from pnm.shared.runtime import Pipeline, RuntimeOptions
from pnm.testing.records import container, manifest_line

BEFORE, DURING = 10, 10
# What the Kafka consumer logs each time an outage stops it applying a batch.
DEFERRED = ("pnm.shared.messaging.kafka", "batch deferred")
# A poison event is dead-lettered after this many attempts; an outage must outlast it.
MAX_ATTEMPTS = 2


def line_event(n: int) -> tuple[bytes, bytes]:
    line = manifest_line(
        "OUTAGE-1", str(n), hs_code="020130", description="beef", containers=[container(700 + n)]
    )
    event = new_event(
        type=EventType.MANIFEST_LINE_DECLARED, source="/test", subject=line.key, record=line
    )
    return line.key.encode(), event.to_json()


async def test_a_database_outage_defers_instead_of_dead_lettering(
    kafka: Broker, topic_prefix: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pg = LocalPostgres(tmp_path / "pg", free_port(), durable=False).start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    topic = topic_prefix + MANIFEST_LINES.name
    try:
        async with Pipeline(
            [ALL["matcher"]],
            database_url=pg.url,
            transport="kafka",
            kafka_bootstrap=kafka.bootstrap,
            topic_prefix=topic_prefix,
            options=RuntimeOptions(consumer_max_attempts=MAX_ATTEMPTS),
        ) as pipeline:

            async def decided() -> int:
                async with pipeline.engine.connect() as conn:
                    return int(await conn.scalar(select(func.count()).select_from(decision)) or 0)

            for n in range(BEFORE):
                await producer.send_and_wait(topic, line_event(n)[1], key=line_event(n)[0])
            await eventually(lambda: _at_least(decided(), BEFORE))

            await asyncio.to_thread(pg.stop)
            deferred_before = logged(caplog, DEFERRED[0], DEFERRED[1])
            for n in range(BEFORE, BEFORE + DURING):
                await producer.send_and_wait(topic, line_event(n)[1], key=line_event(n)[0])

            async def deferred() -> int:
                return logged(caplog, DEFERRED[0], DEFERRED[1]) - deferred_before

            # The consumer meets the outage and tries the batch again, more often than a poison
            # event is tried before it is dead-lettered, and must not give up.
            await eventually(
                deferred,
                until=lambda count: count > MAX_ATTEMPTS,
                timeout=60,
                what=f"the consumer deferring its batch more than {MAX_ATTEMPTS} times",
            )
            await asyncio.to_thread(pg.start)
            await pipeline.engine.dispose()  # drop the dead connections at once

            await eventually(lambda: _at_least(decided(), BEFORE + DURING), timeout=90)
        dead = await read_topic(kafka.bootstrap, topic + ".dlq", expect=1, timeout=3)
        assert dead == [], [d.headers for d in dead]
    finally:
        await producer.stop()
        pg.stop()


async def _at_least(value: Awaitable[int], expected: int) -> bool:
    return await value >= expected
