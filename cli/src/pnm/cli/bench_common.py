"""Measuring helpers the benchmark sections share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from pnm.cli.processes import service_env
from pnm.cli.topics import create_topics
from pnm.shared.auth import mint_token
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import ManifestLine
from pnm.shared.contracts.topics import EventType
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options

BENCH_SECRET = "pnm-bench-secret-not-for-production-0123456789"


@dataclass(frozen=True)
class Served:
    """Where the sections that run the services do: the broker, the database, a scratch
    folder and the run's id (which keeps one run's topics and records apart from another's)."""

    bootstrap: str
    database_url: str
    workdir: Path
    run: str

    async def env(self, prefix: str) -> dict[str, str]:
        """The topics under `prefix` created, and the environment of services that use them."""
        await create_topics(self.bootstrap, prefix)
        return service_env(self.database_url, self.bootstrap, prefix, BENCH_SECRET)


def bearer(role: str) -> dict[str, str]:
    """The Authorization header of a bench client in `role` (a feed)."""
    return {"Authorization": f"Bearer {mint_token(BENCH_SECRET, subject='bench', roles=[role])}"}


def matchers_of(count: int) -> list[str]:
    """The service instances of `count` matcher processes, one consumer group."""
    return ["matcher", *(f"matcher#{n}" for n in range(2, count + 1))]


def from_now_on(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    """A consumer of what appears on `topic` from now on, outside any group (a watcher)."""
    return AIOKafkaConsumer(
        topic,
        **kafka_client_options(bootstrap, KafkaSecurity()),
        auto_offset_reset="latest",
        group_id=None,
    )


async def watch_decisions(
    bootstrap: str, topic: str, decided: dict[str, float], expected: int, key: str | None = None
) -> None:
    """Note when the first decision of each line appears on the topic (by its key, the line
    key: parsing every event here would take the machine's time from the system measured),
    until `expected` lines are decided, or with `key`, until that line is."""
    consumer = from_now_on(bootstrap, topic)
    await consumer.start()
    try:
        while (key not in decided) if key is not None else (len(decided) < expected):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                now = time.perf_counter()
                for record in records:
                    decided.setdefault((record.key or b"").decode(), now)
    finally:
        await consumer.stop()


def percentile(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def line_events(lines: Iterable[ManifestLine]) -> list[bytes]:
    """The lines as manifest-line events on the wire, built before a clock starts: making test
    events is not the system's work."""
    return [
        new_event(
            type=EventType.MANIFEST_LINE_DECLARED, source="/bench", subject=line.key, record=line
        ).to_json()
        for line in lines
    ]
