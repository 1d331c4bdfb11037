"""A relay that dies mid-batch loses no committed event; what it re-publishes is applied once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from infra import Broker, consumed, eventually, read_topic
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import messaging as matcher_messaging
from pnm.matcher.adapters.tables import prenotification as matcher_notifications
from pnm.prenotification import handlers
from pnm.prenotification.adapters.postgres_store import PostgresNotificationStore
from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.adapters.tables import messaging as intake_messaging
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import ChedType
from pnm.shared.contracts.topics import PRENOTIFICATIONS, EventType
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.intake.model import Submission
from pnm.shared.messaging.kafka import KafkaPublisher, ResilientProducer
from pnm.shared.messaging.kafka_security import KafkaSecurity
from pnm.shared.messaging.relay import OutboxRelay
from pnm.shared.messaging.transport import OutgoingMessage
from pnm.shared.migrations import upgrade
from pnm.shared.observability import Heartbeat
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, prenotification

EVENTS = 120
BATCH = 50
DIES_AFTER = 30  # messages of the first batch that reach Kafka before the relay dies


def _relay(
    engine: AsyncEngine, publisher: object, batch_size: int = 500, idle_seconds: float = 1.0
) -> OutboxRelay:
    """A relay of the pre-notification service's outbox."""
    return OutboxRelay(
        service="prenotification",
        engine=engine,
        messaging=intake_messaging,
        publisher=publisher,  # type: ignore[arg-type]
        heartbeat=Heartbeat("relay", 60),
        batch_size=batch_size,
        idle_seconds=idle_seconds,
    )


class RelayKilled(Exception):
    pass


class DyingPublisher:
    """Publishes part of the batch, then dies before the relay can mark anything sent."""

    def __init__(self, inner: KafkaPublisher) -> None:
        self._inner = inner

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        await self._inner.publish(messages[:DIES_AFTER])
        raise RelayKilled


async def test_relay_killed_mid_batch_loses_nothing_and_duplicates_apply_once(
    database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    engine = make_engine(database_url)
    intake = ALL["prenotification"]
    await upgrade(engine, intake)
    async with UnitOfWork(engine, intake_messaging) as uow:
        results = await handlers.intake(
            PostgresNotificationStore(uow),
            [
                Submission(
                    prenotification(
                        f"CHEDP.NL.2026.{i:07d}",
                        ched_type=ChedType.CHED_P,
                        cn_code="0201",
                        description="beef",
                        containers=[container(500_000 + i)],
                    ).model_dump(mode="json"),
                    "bulk",
                )
                for i in range(EVENTS)
            ],
            authorise=lambda record: None,
            data=shipped_reference_data(),
            now=datetime.now(UTC),
        )
        assert {r.outcome for r in results} == {"created"}, results[0]
        await uow.commit()

    producer = ResilientProducer(kafka.bootstrap, "test-relay", KafkaSecurity())
    await producer.start()
    try:
        dying = _relay(engine, DyingPublisher(KafkaPublisher(producer, topic_prefix)), BATCH)
        try:
            await dying.publish_pending()
            raise AssertionError("the relay should have died")
        except RelayKilled:
            pass
        assert await dying.pending() == EVENTS, "nothing may be marked sent by a relay that died"

        restarted = _relay(engine, KafkaPublisher(producer, topic_prefix), BATCH)
        while await restarted.publish_pending():
            pass
        assert await restarted.pending() == 0
    finally:
        await producer.stop()

    on_topic = await read_topic(
        kafka.bootstrap, topic_prefix + PRENOTIFICATIONS.name, expect=EVENTS + DIES_AFTER
    )
    ids = [r.value for r in on_topic]
    assert len(ids) == EVENTS + DIES_AFTER, "the dead relay's messages were re-published"

    # Downstream, the matcher applies each pre-notification once, duplicates notwithstanding.
    duplicates_before = consumed("matcher", PRENOTIFICATIONS.name, "duplicate")
    async with Pipeline(
        [ALL["matcher"]],
        database_url=database_url,
        transport="kafka",
        kafka_bootstrap=kafka.bootstrap,
        topic_prefix=topic_prefix,
        engine=engine,
    ):

        async def all_read() -> bool:
            # Every original applied, and every re-published copy seen (partitions interleave).
            duplicates = consumed("matcher", PRENOTIFICATIONS.name, "duplicate")
            async with engine.connect() as conn:
                inbox = await conn.scalar(select(func.count()).select_from(matcher_messaging.inbox))
            return inbox == EVENTS and duplicates - duplicates_before >= DIES_AFTER

        await eventually(all_read, timeout=60)
        async with engine.connect() as conn:
            inbox = await conn.scalar(select(func.count()).select_from(matcher_messaging.inbox))
            stored = await conn.scalar(select(func.count()).select_from(matcher_notifications))
        assert inbox == EVENTS
        assert stored == EVENTS
        assert (
            consumed("matcher", PRENOTIFICATIONS.name, "duplicate") - duplicates_before
            >= DIES_AFTER
        )
    await engine.dispose()


class SlowPublisher:
    """Publishes after a pause: its relay holds the outbox meanwhile."""

    def __init__(self, inner: KafkaPublisher, seconds: float) -> None:
        self._inner = inner
        self._seconds = seconds

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        await asyncio.sleep(self._seconds)
        await self._inner.publish(messages)


async def test_a_relay_never_leaves_committed_rows_waiting_for_its_poll(
    database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    """Two instances of a service, each with its relay, neither polling within the test. While
    the first relay publishes (slowly), the first instance commits again and so does the
    second: the first relay's wake is not lost in its own publishing, and the second finds the
    outbox busy and tries again shortly, not at its next poll."""
    engine = make_engine(database_url)
    await upgrade(engine, ALL["prenotification"])
    producer = ResilientProducer(kafka.bootstrap, "test-relay-wake", KafkaSecurity())
    await producer.start()
    publisher = KafkaPublisher(producer, topic_prefix)

    # Neither polls within the test: only a wake, or a retry of a busy outbox, moves them.
    first = _relay(engine, SlowPublisher(publisher, 1.0), idle_seconds=120)
    second = _relay(engine, publisher, idle_seconds=120)
    running = [asyncio.create_task(r.run()) for r in (first, second)]
    await asyncio.sleep(0.5)  # both have found the outbox empty and wait: only a wake moves them

    async def commit_one(n: int, wake: OutboxRelay) -> None:
        notice = prenotification(
            f"CHEDP.NL.2026.{n:07d}",
            ched_type=ChedType.CHED_P,
            cn_code="0201",
            description="beef",
            containers=[container(600_000 + n)],
        )
        event = new_event(
            type=EventType.PRENOTIFICATION_SUBMITTED,
            source="/t",
            subject=notice.reference,
            record=notice,
        )
        async with UnitOfWork(engine, intake_messaging, on_commit=wake.wake) as uow:
            uow.publish(PRENOTIFICATIONS, notice.reference, event)
            await uow.commit()

    async def all_published() -> bool:
        return await first.pending() == 0

    try:
        for n, (then, wakes) in enumerate([(first, second), (first, first)]):
            await commit_one(2 * n, then)
            await asyncio.sleep(0.3)  # the first relay holds the outbox, publishing
            await commit_one(2 * n + 1, wakes)
            await eventually(all_published, timeout=30)
    finally:
        first.stop()
        second.stop()
        await asyncio.gather(*running)
        await producer.stop()
        await engine.dispose()
