"""End to end, distributed: four `pnm serve` processes on real Kafka and PostgreSQL; the
terminal reads its block instructions with a plain Kafka client (confluent-kafka)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer
from flows import (
    BEEF,
    GRAPES,
    late_notification_is_released_by_the_authority_only,
    nothing_left_unanswered,
    notified_line_is_not_blocked,
    rest_acknowledge,
    unnotified_line_is_blocked_and_acknowledged,
)
from hostile import refused_cleanly_and_lines_decided
from infra import Broker, eventually

from pnm.cli.processes import ServiceProcesses
from pnm.cli.services import ALL
from pnm.shared.contracts.topics import terminal_acks_topic, terminal_instructions_topic

pytestmark = pytest.mark.integration


class Terminal:
    """A terminal's integration as a terminal would build it: librdkafka, no project code."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"terminal-ECTDELTA-{uuid.uuid4().hex[:6]}",
                "auto.offset.reset": "earliest",
            }
        )
        self._consumer.subscribe([prefix + terminal_instructions_topic("ECTDELTA").name])
        self._producer = Producer({"bootstrap.servers": bootstrap})
        self._ack_topic = prefix + terminal_acks_topic("ECTDELTA").name
        self.received: list[dict[str, Any]] = []

    async def instructions(self) -> list[dict[str, Any]]:
        for message in self._consumer.consume(num_messages=100, timeout=0.5):
            assert message.error() is None, message.error()
            value, key = message.value(), message.key()
            assert value is not None and key is not None
            envelope = json.loads(value)
            assert envelope["specversion"] == "1.0"
            assert envelope["type"] == "nl.pnm.holds.terminal.instruction"
            assert key.decode() == envelope["data"]["hold_id"]
            self.received.append(envelope["data"])
        return self.received

    async def acknowledge_on_topic(
        self, _client: httpx.AsyncClient, instruction: dict[str, Any]
    ) -> None:
        ack = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "/terminal/ECTDELTA",
            "type": "nl.pnm.holds.terminal.ack",
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "data": {
                "instruction_id": instruction["instruction_id"],
                "terminal": instruction["terminal"],
                "result": "applied",
                "at": datetime.now(UTC).isoformat(),
            },
        }
        self._producer.produce(
            self._ack_topic, json.dumps(ack).encode(), key=instruction["hold_id"].encode()
        )
        assert self._producer.flush(10) == 0

    def close(self) -> None:
        self._consumer.close()
        self._producer.flush(5)
        del self._producer  # stop librdkafka's threads before the broker goes away


class Gateway(httpx.AsyncBaseTransport):
    """Routes /<service>/... to that service's own process, like a reverse proxy would."""

    def __init__(self, ports: dict[str, int]) -> None:
        self._clients = {
            name: httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")
            for name, port in ports.items()
        }

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        service = request.url.path.split("/")[1]
        target = self._clients[service]
        response = await target.request(
            request.method,
            request.url.path,
            params=request.url.params,
            content=request.content,
            headers={
                k: v
                for k, v in request.headers.items()
                if k.lower() not in ("host", "content-length")
            },
        )
        return httpx.Response(
            response.status_code, content=response.content, headers=response.headers
        )

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


@pytest.fixture
def services(
    database_url: str, kafka: Broker, topic_prefix: str, tmp_path: Path
) -> Iterator[dict[str, int]]:
    env = {
        "PNM_DATABASE_URL": database_url,
        "PNM_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "PNM_KAFKA_TOPIC_PREFIX": topic_prefix,
        "PNM_RECONCILIATION_GRACE_SECONDS": "0",
    }
    with ServiceProcesses(ALL, env, tmp_path) as processes:
        yield processes.ports()
    for service in processes.services.values():
        output = service.output()
        # SIGTERM: the API, consumers and relays stop gracefully and the process ends normally.
        assert service.process.returncode == 0, f"{service.name} crashed:\n{output[-3000:]}"
        assert '"msg": "stopped"' in output, f"{service.name} did not shut down:\n{output[-3000:]}"
        assert '"level": "error", "logger": "pnm.' not in output, (
            f"{service.name} failed:\n{output[-3000:]}"
        )


@pytest.fixture
async def client(services: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    gateway = Gateway(services)
    async with httpx.AsyncClient(
        transport=gateway, base_url="http://gateway", timeout=30
    ) as client:

        async def all_ready() -> bool:
            for name in services:
                try:
                    response = await client.get(f"/{name}/health/ready")
                except httpx.TransportError:
                    return False
                if response.status_code != 200:
                    return False
            return True

        await eventually(all_ready, timeout=90)
        yield client


@pytest.fixture
def terminal(kafka: Broker, topic_prefix: str) -> Iterator[Terminal]:
    reader = Terminal(kafka.bootstrap, topic_prefix)
    yield reader
    reader.close()


async def test_beef_and_grapes_end_to_end_on_kafka(
    client: httpx.AsyncClient, terminal: Terminal
) -> None:
    await unnotified_line_is_blocked_and_acknowledged(
        client, BEEF, terminal.instructions, rest_acknowledge
    )
    await unnotified_line_is_blocked_and_acknowledged(
        client, GRAPES, terminal.instructions, terminal.acknowledge_on_topic
    )
    await notified_line_is_not_blocked(client, BEEF, terminal.instructions)
    await notified_line_is_not_blocked(client, GRAPES, terminal.instructions)
    # Block, late notification, release by NVWA alone, lifted on the terminal's own topics.
    await late_notification_is_released_by_the_authority_only(
        client, BEEF, terminal.instructions, terminal.acknowledge_on_topic
    )
    await nothing_left_unanswered(client)


async def test_hostile_input_is_refused_and_accepted_lines_are_decided(
    client: httpx.AsyncClient,
) -> None:
    # Fewer cases than standalone's: the same code refuses them, here across processes and Kafka.
    await refused_cleanly_and_lines_decided(client, per_endpoint=25, with_paths=False)
