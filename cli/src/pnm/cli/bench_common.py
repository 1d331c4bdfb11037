"""Measuring helpers the benchmark sections share."""

from __future__ import annotations

import statistics
import time

from aiokafka import AIOKafkaConsumer


async def watch_decisions(
    bootstrap: str, topic: str, decided: dict[str, float], expected: int
) -> None:
    """Note when the first decision of each line appears on the topic (by its key, the line
    key: parsing every event here would take the machine's time from the system measured)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="latest", group_id=None
    )
    await consumer.start()
    try:
        while len(decided) < expected:
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
