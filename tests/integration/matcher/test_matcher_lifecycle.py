"""A vessel call through the matcher on a real broker and PostgreSQL, with the clock driven by
the test: deadlines fire from the scheduler, a feed outage holds back `unnotified` until it
ends, a late pre-notification re-opens a held line (`notified_late`), an amendment moves a
container to another line, and a cancellation leaves `invalid_notification`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from infra import Broker, bearer, eventually, vgc_status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import feed
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import (
    ChedType,
    PreNotification,
    PreNotificationStatus,
    Record,
)
from pnm.shared.contracts.topics import (
    FEEDS,
    MANIFEST_ARRIVALS,
    MANIFEST_LINES,
    PRENOTIFICATIONS,
    EventType,
    Topic,
)
from pnm.shared.runtime import Pipeline
from pnm.testing.records import BASE_ETA, arrival, container, manifest_line, prenotification

MANIFEST = "LIFE-EMMA-101"
BEEF, GRAPES, MORE_BEEF, OTHER_BEEF = (container(n) for n in range(700_001, 700_005))


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Harness:
    producer: AIOKafkaProducer
    client: httpx.AsyncClient
    prefix: str
    engine: AsyncEngine

    async def send(self, topic: Topic, type_: str, key: str, record: Record) -> None:
        event = new_event(type=type_, source="/test", subject=key, record=record)
        await self.producer.send_and_wait(
            self.prefix + topic.name, event.to_json(), key=key.encode()
        )

    async def statuses(self) -> dict[str, str]:
        response = await self.client.get(
            "/matcher/decisions", params={"manifest_id": MANIFEST}, headers=bearer("analyst")
        )
        return {d["line_id"]: d["status"] for d in response.json()}

    async def until(self, expected: dict[str, str], timeout: float = 30) -> None:
        async def reached() -> bool:
            current = await self.statuses()
            return all(current.get(k) == v for k, v in expected.items())

        await eventually(reached, timeout=timeout)


@pytest.fixture
async def harness(
    database_url: str, kafka: Broker, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Harness, Clock]]:
    monkeypatch.setenv("PNM_MATCHER_DEADLINE_SCAN_SECONDS", "0.2")
    # The test stands in for the pre-notification service, on a clock of its own: no
    # watermark (docs/watermark.md); the hold-back is tested in test_watermark.py.
    monkeypatch.setenv("PNM_MATCHER_AWAIT_PRENOTIFICATION_WATERMARK", "false")
    bootstrap = kafka.bootstrap
    clock = Clock(BASE_ETA - timedelta(days=3))
    async with Pipeline(
        [ALL["matcher"]],
        database_url=database_url,
        transport="kafka",
        kafka_bootstrap=bootstrap,
        topic_prefix=topic_prefix,
        clock=clock,
    ) as pipeline:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
        )
        try:
            yield Harness(producer, client, topic_prefix, pipeline.engine), clock
        finally:
            await client.aclose()
            await producer.stop()


def beef_notice(
    reference: str, box: str, *, version: int = 1, **changes: object
) -> PreNotification:
    record = prenotification(
        reference,
        ched_type=ChedType.CHED_P,
        cn_code="02013000",
        description="Frozen boneless beef",
        containers=[box],
        version=version,
    )
    return record.model_copy(update=changes)


async def test_a_vessel_call_through_deadlines_outage_late_data_and_amendments(
    harness: tuple[Harness, Clock],
) -> None:
    h, clock = harness
    lines = {
        "1": ("020130", "Frozen beef", BEEF),
        "2": ("080610", "Fresh grapes", GRAPES),
        "3": ("020130", "Frozen beef", MORE_BEEF),
        "4": ("020130", "Frozen beef", OTHER_BEEF),
    }
    for line_id, (hs_code, description, box) in lines.items():
        record = manifest_line(
            MANIFEST, line_id, hs_code=hs_code, description=description, containers=[box]
        )
        await h.send(
            MANIFEST_LINES, EventType.MANIFEST_LINE_DECLARED, f"{MANIFEST}/{line_id}", record
        )
    await h.until({k: "awaiting_notification" for k in lines})

    # The VGC declares an emergency procedure; the lead-time deadline passes.
    await h.send(FEEDS, EventType.FEED_EMERGENCY_STARTED, "vgc", vgc_status(True, clock.now))

    async def emergency_stored() -> bool:
        # Consumed before the clock jumps: the deadline scan would otherwise decide first.
        async with h.engine.connect() as conn:
            status = await conn.scalar(select(feed.c.status).where(feed.c.system == "vgc"))
        return bool(status and status["emergency"])

    await eventually(emergency_stored)
    clock.now = BASE_ETA - timedelta(hours=2)
    await h.until({"2": "overdue"})
    assert (await h.statuses())["1"] == "awaiting_notification"  # held: the feed is down

    # The vessel arrives: plants unnotified at once, the animal products still held.
    clock.now = BASE_ETA + timedelta(minutes=5)
    await h.send(MANIFEST_ARRIVALS, EventType.ARRIVAL, MANIFEST, arrival(MANIFEST))
    await h.until({"2": "unnotified"})
    held = await h.client.get(f"/matcher/decisions/{MANIFEST}/1", headers=bearer("analyst"))
    assert held.json()["status"] == "awaiting_notification"
    assert "feed_outage" in [r["code"] for r in held.json()["reasons"]]

    # The feed recovers: the held lines get their real status.
    clock.now += timedelta(minutes=30)
    await h.send(FEEDS, EventType.FEED_EMERGENCY_ENDED, "vgc", vgc_status(False, clock.now))
    await h.until({"1": "unnotified", "3": "unnotified", "4": "unnotified"})

    # A pre-notification after the hold re-opens the decision as notified late.
    late = beef_notice("CHEDP.NL.2026.0700001", BEEF, submitted_at=clock.now)
    await h.send(PRENOTIFICATIONS, EventType.PRENOTIFICATION_SUBMITTED, late.reference, late)
    await h.until({"1": "notified_late"})

    # One notified in time covers line 3; its amendment moves the container to line 4.
    timely = beef_notice("CHEDP.NL.2026.0700002", MORE_BEEF)
    await h.send(PRENOTIFICATIONS, EventType.PRENOTIFICATION_SUBMITTED, timely.reference, timely)
    await h.until({"3": "notified", "4": "unnotified"})
    moved = beef_notice("CHEDP.NL.2026.0700002", OTHER_BEEF, version=2)
    await h.send(PRENOTIFICATIONS, EventType.PRENOTIFICATION_AMENDED, moved.reference, moved)
    await h.until({"3": "unnotified", "4": "notified"})

    # Cancelling the late one leaves line 1 with nothing valid.
    cancelled = late.model_copy(update={"version": 2, "status": PreNotificationStatus.CANCELLED})
    await h.send(PRENOTIFICATIONS, EventType.PRENOTIFICATION_CANCELLED, late.reference, cancelled)
    await h.until({"1": "invalid_notification"})

    history = await h.client.get(
        f"/matcher/decisions/{MANIFEST}/1/history", headers=bearer("analyst")
    )
    statuses = [d["status"] for d in history.json()]
    assert [s for n, s in enumerate(statuses) if n == 0 or statuses[n - 1] != s] == [
        "awaiting_notification",
        "unnotified",
        "notified_late",
        "invalid_notification",
    ]
