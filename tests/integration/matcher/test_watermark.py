"""No block on a transient decision (docs/watermark.md), on a real broker and PostgreSQL: the
pre-notification service's relay stamps every partition of its topic after the rows it saw,
and the matcher holds `unnotified` back until the lowest stamp has passed the moment it found
the line due, then decides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from infra import Broker, bearer, eventually, read_topic
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import messaging as matcher_messaging
from pnm.prenotification import handlers
from pnm.prenotification.adapters.postgres_store import PostgresNotificationStore
from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.adapters.tables import messaging as intake_messaging
from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import ChedType, PreNotification, Record, Watermark
from pnm.shared.contracts.topics import (
    MANIFEST_ARRIVALS,
    MANIFEST_LINES,
    PRENOTIFICATIONS,
    EventType,
    Topic,
)
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.intake.model import Submission
from pnm.shared.messaging.kafka import KafkaPublisher, ResilientProducer
from pnm.shared.messaging.kafka_security import KafkaSecurity
from pnm.shared.messaging.relay import OutboxRelay, watermarks
from pnm.shared.migrations import upgrade
from pnm.shared.observability import Heartbeat
from pnm.shared.runtime import Pipeline
from pnm.testing.records import arrival, container, manifest_line, prenotification

NOTICES = 20
BATCH = 8


def beef_notice(n: int) -> PreNotification:
    return prenotification(
        f"CHEDP.NL.2026.{n:07d}",
        ched_type=ChedType.CHED_P,
        cn_code="02013000",
        description="Frozen boneless beef",
        containers=[container(800_000 + n)],
    )


async def test_the_relay_stamps_every_partition_after_the_rows_it_saw(
    database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["prenotification"])
    async with UnitOfWork(engine, intake_messaging) as uow:
        results = await handlers.intake(
            PostgresNotificationStore(uow),
            [Submission(beef_notice(i).model_dump(mode="json"), "bulk") for i in range(NOTICES)],
            authorise=lambda record: None,
            data=shipped_reference_data(),
            now=datetime.now(UTC),
        )
        assert {r.outcome for r in results} == {"created"}
        await uow.commit()
    async with engine.connect() as conn:
        committed = await conn.scalar(select(func.clock_timestamp()))
    assert committed is not None

    producer = ResilientProducer(kafka.bootstrap, "test-watermark-relay", KafkaSecurity())
    await producer.start()
    try:
        relay = OutboxRelay(
            service="prenotification",
            engine=engine,
            messaging=intake_messaging,
            publisher=KafkaPublisher(producer, topic_prefix),
            heartbeat=Heartbeat("relay", 60),
            batch_size=BATCH,
            watermarked=[PRENOTIFICATIONS],
            watermark_seconds=60,
        )
        passes = []
        while (published := await relay.publish_pending()) != 0:
            passes.append(published)
        assert passes == [BATCH, BATCH, NOTICES - 2 * BATCH]
    finally:
        await producer.stop()
    await engine.dispose()

    stamps = PRENOTIFICATIONS.partitions
    records = await read_topic(
        kafka.bootstrap, topic_prefix + PRENOTIFICATIONS.name, expect=NOTICES + stamps, stamps=True
    )
    assert len(records) == NOTICES + stamps  # only the pass that saw every row stamped
    by_partition: dict[int, list[CloudEvent]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_partition.setdefault(r.partition, []).append(CloudEvent.from_json(r.value))
    assert set(by_partition) == set(range(stamps))
    for partition, events in by_partition.items():
        *rows, last = events
        assert last.type == EventType.PRENOTIFICATION_WATERMARK
        stamp = Watermark.model_validate(last.data)
        assert (stamp.partition, stamp.partitions) == (partition, stamps)
        assert stamp.watermark >= committed  # it covers every row committed before it
        assert all(e.type == EventType.PRENOTIFICATION_SUBMITTED for e in rows)


MANIFEST = "WM-EMMA-301"
HELD, LATE = container(810_001), container(810_002)


@dataclass
class Feeds:
    """Stands in for manifest-ingest (lines, arrivals) and for the pre-notification service
    (its records and, with the relay's own code, its watermarks)."""

    producer: AIOKafkaProducer
    publisher: KafkaPublisher
    client: httpx.AsyncClient
    prefix: str
    engine: AsyncEngine

    async def send(self, topic: Topic, type_: str, key: str, record: Record) -> None:
        event = new_event(type=type_, source="/test", subject=key, record=record)
        await self.producer.send_and_wait(
            self.prefix + topic.name, event.to_json(), key=key.encode()
        )

    async def stamp(self, at: datetime, partitions: range | None = None) -> None:
        every = watermarks("prenotification", [PRENOTIFICATIONS], at)
        await self.publisher.publish(
            [m for m in every if partitions is None or m.partition in partitions]
        )

    async def decision(self, line_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"/matcher/decisions/{MANIFEST}/{line_id}", headers=bearer("analyst")
        )
        return response.json() if response.status_code == 200 else {}

    async def until(self, line_id: str, status: str, reason: str | None = None) -> None:
        async def reached() -> bool:
            d = await self.decision(line_id)
            codes = [r["code"] for r in d.get("reasons", [])]
            return d.get("status") == status and (reason is None or reason in codes)

        await eventually(reached, timeout=30)

    async def history(self, line_id: str) -> list[str]:
        response = await self.client.get(
            f"/matcher/decisions/{MANIFEST}/{line_id}/history", headers=bearer("analyst")
        )
        return [d["status"] for d in response.json()]


@pytest.fixture
async def feeds(
    database_url: str, kafka: Broker, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Feeds]:
    monkeypatch.setenv("PNM_MATCHER_DEADLINE_SCAN_SECONDS", "0.2")  # the readiness report
    async with Pipeline(
        [ALL["matcher"]],
        database_url=database_url,
        transport="kafka",
        kafka_bootstrap=kafka.bootstrap,
        topic_prefix=topic_prefix,
    ) as pipeline:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        resilient = ResilientProducer(kafka.bootstrap, "test-watermarks", KafkaSecurity())
        await resilient.start()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
        )
        try:
            yield Feeds(
                producer,
                KafkaPublisher(resilient, topic_prefix),
                client,
                topic_prefix,
                pipeline.engine,
            )
        finally:
            await client.aclose()
            await resilient.stop()
            await producer.stop()


async def test_the_matcher_holds_a_block_until_the_watermark_has_passed_then_decides(
    feeds: Feeds,
) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    await feeds.stamp(before)  # the feed's state before the lines come
    for line_id, box in (("1", HELD), ("2", LATE)):
        record = manifest_line(
            MANIFEST, line_id, hs_code="020130", description="Frozen beef", containers=[box]
        )
        await feeds.send(
            MANIFEST_LINES, EventType.MANIFEST_LINE_DECLARED, f"{MANIFEST}/{line_id}", record
        )
    await feeds.send(MANIFEST_ARRIVALS, EventType.ARRIVAL, MANIFEST, arrival(MANIFEST))

    # Arrived without a pre-notification, but the feed is consumed only up to `before`.
    await feeds.until("1", "awaiting_notification", "prenotification_backlog")
    await feeds.until("2", "awaiting_notification", "prenotification_backlog")
    held = await feeds.decision("2")
    assert before.isoformat() in held["reasons"][-1]["text"]

    async def reported() -> bool:
        ready = (await feeds.client.get("/matcher/health/ready")).json()
        return any("2 line(s) wait to be blocked" in w for w in ready.get("warnings", []))

    await eventually(reported, timeout=30)
    metrics = (await feeds.client.get("/matcher/metrics")).text
    assert "pnm_matcher_prenotification_watermark_age_seconds" in metrics
    assert "pnm_matcher_blocks_held_for_watermark " in metrics

    # The pre-notification of line 1 was accepted in time but comes late out of its backlog;
    # the stamps after it are of a moment after the lines were found due.
    notice = prenotification(
        "CHEDP.NL.2026.0810001",
        ched_type=ChedType.CHED_P,
        cn_code="02013000",
        description="Frozen boneless beef",
        containers=[HELD],
    )
    await feeds.send(
        PRENOTIFICATIONS, EventType.PRENOTIFICATION_SUBMITTED, notice.reference, notice
    )
    await feeds.stamp(datetime.now(UTC), range(1, PRENOTIFICATIONS.partitions))
    await feeds.until("1", "notified")
    # Partition 0 was never stamped past the moment: line 2 still waits.
    assert (await feeds.decision("2"))["status"] == "awaiting_notification"

    await feeds.stamp(datetime.now(UTC), range(1))
    await feeds.until("2", "unnotified")
    assert "unnotified" not in await feeds.history("1")

    async def cleared() -> bool:
        ready = (await feeds.client.get("/matcher/health/ready")).json()
        return not ready.get("warnings")

    await eventually(cleared, timeout=30)
    # The stamps change the watermark table only: the inbox keeps the notification alone.
    async with feeds.engine.connect() as conn:
        recorded = await conn.scalar(
            select(func.count())
            .select_from(matcher_messaging.inbox)
            .where(matcher_messaging.inbox.c.topic == PRENOTIFICATIONS.name)
        )
    assert recorded == 1
