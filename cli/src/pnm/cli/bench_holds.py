"""`pnm bench --only holds`: how fast a block reaches the terminal's instruction topic during
the matcher's burst. The burst's lines (a tenth of them in containers nobody notified) go onto
Kafka one ship after the other, each ship's arrival right after its lines; the matcher
processes and the holds service run as their own processes. Measured per unnotified line, by a
plain Kafka consumer as a terminal would read: from the moment the system had both the line and
its arrival to the block instruction, and from the `unnotified` decision on its topic to the
block instruction (target: p99 under 1 s). Beside it, the raw aiokafka passthrough of the same
line events on the same broker (pnm.cli.bench.raw_passthrough)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from pnm.cli.bench_common import Served, from_now_on, line_events, matchers_of, percentile
from pnm.cli.bench_matcher import SHIP_LINES, bench_line, box, load_notifications
from pnm.cli.processes import ServiceProcesses
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import ManifestLine
from pnm.shared.contracts.topics import (
    DECISIONS,
    MANIFEST_ARRIVALS,
    MANIFEST_LINES,
    EventType,
    terminal_instructions_topic,
)
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options
from pnm.testing.records import arrival, manifest_line

UNNOTIFIED_EVERY = 10  # every tenth line is in a container nobody notified
WATCH_TIMEOUT = 900.0
# Which wanted line (of the set) a record (key, value) is about, or None.
KeyOf = Callable[[bytes, bytes, set[str]], str | None]


def instruction_topic(prefix: str) -> str:
    """Where the holds service publishes the blocks for terminal ECTDELTA (the bench lines'
    terminal): its own instruction topic."""
    return prefix + terminal_instructions_topic("ECTDELTA").name


def holds_lines(lines: int, run: str) -> tuple[list[ManifestLine], set[str]]:
    """The burst's lines, and the keys of the unnotified ones: frozen beef of another
    importer, vessel, container owner and bill of lading than any notification has (nothing
    for the matcher to find even in part)."""
    records, unnotified = [], set()
    for n in range(lines):
        manifest = f"HOLDS-{run}-{n // SHIP_LINES}"
        if n % UNNOTIFIED_EVERY == 0:
            record = manifest_line(
                manifest,
                str(n),
                hs_code="020130",
                description="Frozen beef",
                containers=[box(n, owner="ZZZU")],
                bill_of_lading=f"NOTICE{n:08d}",
            )
            unnotified.add(record.key)
        else:
            record = bench_line(manifest, n, n, box(n))
        records.append(record)
    return records, unnotified


@dataclass(frozen=True)
class HoldsFigures:
    lines: int
    blocks: int
    seconds: float  # from the first line sent to the last block seen
    from_arrival_ms: list[float]
    from_decision_ms: list[float]


async def _watch(
    bootstrap: str, topic: str, wanted: set[str], seen: dict[str, float], key_of: KeyOf
) -> None:
    """Note when each wanted line first shows on `topic` (as `key_of` reads the record)."""
    consumer = from_now_on(bootstrap, topic)
    await consumer.start()
    try:
        while len(seen) < len(wanted):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                now = time.perf_counter()
                for record in records:
                    key = key_of(record.key or b"", record.value or b"{}", wanted)
                    if key is not None:
                        seen.setdefault(key, now)
    finally:
        await consumer.stop()


def unnotified_decision(key: bytes, value: bytes, wanted: set[str]) -> str | None:
    line = key.decode()
    if line not in wanted:  # the other nine tenths are not parsed
        return None
    return line if json.loads(value)["data"]["status"] == "unnotified" else None


def block_instruction(key: bytes, value: bytes, wanted: set[str]) -> str | None:
    data = json.loads(value)["data"]
    line = f"{data['manifest_id']}/{data['line_id']}"
    return line if data["action"] == "block" and line in wanted else None


async def holds_figures(site: Served, count: int, lines: int, matchers: int = 2) -> HoldsFigures:
    prefix = f"holds{site.run}."
    env = await site.env(prefix)
    bootstrap = site.bootstrap
    # The pre-notification service too: its relay stamps the watermark the matcher waits for
    # before it says `unnotified` (docs/watermark.md), as in production.
    instances = ["prenotification", *matchers_of(matchers), "holds"]
    records, unnotified = holds_lines(lines, site.run)
    events = line_events(records)
    with ServiceProcesses(instances, env, site.workdir / "holds-logs") as processes:
        await processes.wait_ready()
        await load_notifications(site.database_url, count)
        decided: dict[str, float] = {}
        blocked: dict[str, float] = {}
        watchers = asyncio.gather(
            _watch(bootstrap, prefix + DECISIONS.name, unnotified, decided, unnotified_decision),
            _watch(bootstrap, instruction_topic(prefix), unnotified, blocked, block_instruction),
        )
        await asyncio.sleep(2)  # the watchers have joined and sit at the ends of the topics
        sent, arrived = await _send_burst(bootstrap, prefix, records, events)
        await asyncio.wait_for(watchers, timeout=WATCH_TIMEOUT)
    started = min(sent.values())
    manifest_of = {r.key: r.manifest_id for r in records}
    return HoldsFigures(
        lines,
        len(blocked),
        max(blocked.values()) - started,
        [(blocked[k] - max(sent[k], arrived[manifest_of[k]])) * 1000 for k in unnotified],
        [(blocked[k] - decided[k]) * 1000 for k in unnotified],
    )


async def _send_burst(
    bootstrap: str, prefix: str, records: list[ManifestLine], events: list[bytes]
) -> tuple[dict[str, float], dict[str, float]]:
    """Each ship's lines, then its arrival; when each was sent."""
    producer = AIOKafkaProducer(**kafka_client_options(bootstrap, KafkaSecurity()), linger_ms=5)
    await producer.start()
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    try:
        for at, (record, event) in enumerate(zip(records, events, strict=True)):
            await producer.send(prefix + MANIFEST_LINES.name, event, key=record.key.encode())
            sent[record.key] = time.perf_counter()
            last_of_ship = (
                at + 1 == len(records) or records[at + 1].manifest_id != record.manifest_id
            )
            if last_of_ship:
                landed = arrival(record.manifest_id, at=datetime.now(UTC))
                news = new_event(
                    type=EventType.ARRIVAL,
                    source="/bench",
                    subject=landed.manifest_id,
                    record=landed,
                )
                await producer.send(
                    prefix + MANIFEST_ARRIVALS.name, news.to_json(), key=landed.manifest_id.encode()
                )
                arrived[record.manifest_id] = time.perf_counter()
        await producer.flush()
    finally:
        await producer.stop()
    return sent, arrived


def print_holds(f: HoldsFigures, raw_rate: float, raw_seconds: float) -> None:
    a50, a99 = (percentile(f.from_arrival_ms, q) for q in (50, 99))
    d50, d99 = (percentile(f.from_decision_ms, q) for q in (50, 99))
    print(f"block instructions during a burst of {f.lines:,} lines ({f.blocks:,} unnotified):")
    print(f"  raw aiokafka consume→produce:    {raw_rate:10.0f} msg/s   ({raw_seconds:.2f} s)")
    print(f"  all blocks on Kafka in {f.seconds:.2f} s from the first line")
    print(f"  arrival → block instruction:     p50 {a50:,.0f} ms, p99 {a99:,.0f} ms")
    print(
        f"  decision → block instruction:    p50 {d50:,.0f} ms, p99 {d99:,.0f} ms "
        "(target: p99 under 1 s)"
    )
