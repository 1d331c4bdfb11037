"""Dead letters an operator can act on, through the admin API and `pnm dlq`: listed with their
origin, shown with their message, re-driven onto the origin topic once however often asked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from infra import Broker, bearer, eventually, read_topic
from sqlalchemy import func, select
from test_consumer import line_event

from pnm.cli.dlq import dlq_request, render
from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import decision, messaging
from pnm.shared.contracts.topics import MANIFEST_LINES
from pnm.shared.messaging.inprocess import TableDeadLetters
from pnm.shared.messaging.kafka import KafkaDeadLetters, ResilientProducer
from pnm.shared.messaging.kafka_security import KafkaSecurity
from pnm.shared.messaging.transport import IncomingMessage
from pnm.shared.runtime import Pipeline

ADMIN = bearer("admin", subject="operator-1")


async def decisions(pipeline: Pipeline) -> int:
    async with pipeline.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(decision)) or 0)


def failed_once(value: bytes, key: str) -> IncomingMessage:
    """A good line that was dead-lettered (e.g. by a bug fixed since)."""
    return IncomingMessage(
        topic=MANIFEST_LINES.name, partition=2, offset=41, key=key.encode(), value=value
    )


@pytest.fixture
async def admin_client(
    database_url: str, kafka: Broker, topic_prefix: str
) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    async with (
        Pipeline(
            [ALL["matcher"]],
            database_url=database_url,
            transport="kafka",
            kafka_bootstrap=kafka.bootstrap,
            topic_prefix=topic_prefix,
        ) as pipeline,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app),
            base_url="http://pnm/matcher",
            headers=ADMIN,
            timeout=60,
        ) as client,
    ):
        yield pipeline, client


async def test_kafka_dead_letters_are_listed_with_their_origin_and_redriven_once(
    admin_client: tuple[Pipeline, httpx.AsyncClient], kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = admin_client
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    sink = ResilientProducer(kafka.bootstrap, "test-dlq", KafkaSecurity())
    await sink.start()
    key, good = line_event(7)
    try:
        await producer.send_and_wait(
            topic_prefix + MANIFEST_LINES.name, b"{not json", key=b"POISON"
        )
        await KafkaDeadLetters(sink, "matcher", topic_prefix).dead_letter(
            "pnm-matcher", failed_once(good, key), RuntimeError("a bug fixed since"), 3
        )
    finally:
        await producer.stop()
        await sink.stop()

    async def listed() -> list[dict[str, object]] | None:
        found = (await dlq_request(client, "list", None))["dead_letters"]
        return found if len(found) == 2 else None

    entries = {d["key"]: d for d in await eventually(listed, timeout=90)}
    poison = entries["POISON"]
    assert poison["consumer"] == "pnm-matcher"
    assert poison["topic"] == MANIFEST_LINES.name
    assert poison["offset"] == 0
    assert poison["attempts"] == 1
    assert str(poison["error"]).startswith("MalformedMessage: ")
    assert poison["redriven_at"] is None
    assert "POISON" in render("list", {"dead_letters": [poison]})
    earlier = entries[key]
    assert (earlier["partition"], earlier["offset"], earlier["attempts"]) == (2, 41, 3)
    assert earlier["error"] == "RuntimeError: a bug fixed since"

    shown = await dlq_request(client, "show", str(earlier["id"]))
    assert shown["message"]["data"]["line_id"] == "7"
    assert shown["event_id"] == shown["message"]["id"]

    forbidden = await client.get("/admin/dead-letters", headers=bearer("customs-prearrival"))
    assert forbidden.status_code == 403
    unknown = await client.get(f"/admin/dead-letters/{MANIFEST_LINES.name}.dlq:0:999")
    assert unknown.status_code == 404

    first = await dlq_request(client, "redrive", str(earlier["id"]))
    second = await dlq_request(client, "redrive", str(earlier["id"]))
    assert first["redriven"] is True
    assert second["redriven"] is False
    assert second["redriven_at"] is not None

    assert await decisions(pipeline) == 1  # applied by the first redrive, once
    origin = await read_topic(kafka.bootstrap, topic_prefix + MANIFEST_LINES.name, expect=1)
    assert [r.value for r in origin] == [b"{not json"]  # nothing published again
    listed_again = {d["key"]: d for d in (await dlq_request(client, "list", None))["dead_letters"]}
    assert listed_again[key]["redriven_at"] is not None


async def _at_least(value: Awaitable[int], expected: int) -> bool:
    return await value >= expected


async def test_standalone_dead_letters_are_redriven_from_the_table_once(
    database_url: str,
) -> None:
    async with Pipeline(
        [ALL["matcher"]], database_url=database_url, transport="inprocess"
    ) as pipeline:
        hosted = pipeline.services["matcher"]
        key, good = line_event(8)
        await TableDeadLetters(hosted.context.uow_factory).dead_letter(
            "pnm-matcher", failed_once(good, key), RuntimeError("a bug fixed since"), 3
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app),
            base_url="http://pnm/matcher",
            headers=ADMIN,
        ) as client:
            [entry] = (await dlq_request(client, "list", None))["dead_letters"]
            assert entry["id"].startswith("table:")
            assert (entry["topic"], entry["offset"], entry["consumer"]) == (
                MANIFEST_LINES.name,
                41,
                "pnm-matcher",
            )
            assert (await dlq_request(client, "redrive", entry["id"]))["redriven"] is True
            assert (await dlq_request(client, "redrive", entry["id"]))["redriven"] is False

        assert await decisions(pipeline) == 1  # applied by the first redrive, once
        outbox = messaging.outbox
        async with pipeline.engine.connect() as conn:
            republished = await conn.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.topic == MANIFEST_LINES.name)
            )
        assert republished == 0
