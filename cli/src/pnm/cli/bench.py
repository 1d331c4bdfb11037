"""`pnm bench`: the distributed pipeline's manifest-line → decision rate beside a raw aiokafka
consume → produce passthrough of the same messages, on the same machine in the same run."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pnm.cli.bench_common import Served, bearer, line_events, percentile, watch_decisions
from pnm.cli.bench_holds import holds_figures, holds_lines, print_holds
from pnm.cli.bench_intake import intake_rates, manifest_rates
from pnm.cli.bench_matcher import burst_figures, matching_figures, print_burst, print_matching
from pnm.cli.bench_rejoin import rejoin_section
from pnm.cli.bench_replay import print_replay, replay_figures
from pnm.cli.bench_year import print_year, year_figures
from pnm.cli.kafka_broker import ScriptKafka
from pnm.cli.postgres import LocalPostgres, free_port
from pnm.cli.processes import ServiceProcesses
from pnm.cli.services import PIPELINE
from pnm.shared.contracts.records import ManifestLine
from pnm.shared.contracts.topics import DECISIONS
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options
from pnm.shared.roles import feed_role
from pnm.testing.records import container, manifest_line

POST_BATCH = 500
# The sections that run the services on a Kafka broker and a PostgreSQL (started unless given).
SERVED = frozenset({"pipeline", "ingest", "intake", "burst", "holds", "rejoin"})


@dataclass(frozen=True)
class Figures:
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def bench_lines(count: int, run: str) -> list[ManifestLine]:
    """Frozen beef in as many containers: every line is selected, none is notified."""
    return [
        manifest_line(
            f"BENCH-{run}",
            str(i),
            hs_code="020230",
            description="Frozen beef",
            containers=[container(i)],
        )
        for i in range(count)
    ]


async def raw_passthrough(bootstrap: str, payloads: list[bytes], run: str) -> Figures:
    """What aiokafka alone does on this machine: read each message and write it on."""
    source, sink = f"bench.{run}.raw-in", f"bench.{run}.raw-out"
    options = kafka_client_options(bootstrap, KafkaSecurity())
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    await admin.create_topics([NewTopic(source, 6, 1), NewTopic(sink, 6, 1)])
    await admin.close()
    producer = AIOKafkaProducer(**options, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        for i, payload in enumerate(payloads):
            await producer.send(source, payload, key=str(i).encode())
        await producer.flush()
        consumer = AIOKafkaConsumer(
            source,
            **options,
            group_id=f"bench-{run}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        started = time.perf_counter()
        forwarded = 0
        try:
            while forwarded < len(payloads):
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                futures = [
                    await producer.send(sink, r.value, key=r.key)
                    for records in batches.values()
                    for r in records
                ]
                await asyncio.gather(*futures)
                await consumer.commit()
                forwarded += len(futures)
            seconds = time.perf_counter() - started
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
    return Figures(len(payloads), seconds)


@dataclass(frozen=True)
class PipelineFigures(Figures):
    latencies: list[float]


async def pipeline_rate(site: Served, lines: list[ManifestLine]) -> PipelineFigures:
    prefix = f"bench{site.run}."
    env = await site.env(prefix)
    dmf = bearer(feed_role("dmf"))
    with ServiceProcesses(PIPELINE, env, site.workdir / "logs") as processes:
        ports = processes.ports()
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports['manifest-ingest']}", timeout=120
        ) as client:
            await processes.wait_ready()
            decided: dict[str, float] = {}
            watcher = asyncio.create_task(
                watch_decisions(site.bootstrap, prefix + DECISIONS.name, decided, len(lines))
            )
            await asyncio.sleep(2)  # the watcher has joined and sits at the end of the topic
            posted: dict[str, float] = {}
            # Built before the clock starts: making test requests is not the system's work.
            bodies = [
                {"lines": [line.model_dump(mode="json") for line in lines[at : at + POST_BATCH]]}
                for at in range(0, len(lines), POST_BATCH)
            ]
            started = time.perf_counter()
            for start, body in zip(range(0, len(lines), POST_BATCH), bodies, strict=True):
                batch = lines[start : start + POST_BATCH]
                response = await client.post("/manifest-ingest/lines", json=body, headers=dmf)
                response.raise_for_status()
                now = time.perf_counter()
                posted.update((line.key, now) for line in batch)
            await asyncio.wait_for(watcher, timeout=600)
            seconds = max(decided.values()) - started
    latencies = [decided[key] - posted[key] for key in posted]
    return PipelineFigures(len(lines), seconds, latencies)


async def run_bench(
    sections: list[str],
    count: int,
    records: int,
    manifest_lines: int,
    bootstrap: str | None,
    database_url: str | None,
    notifications: int = 1_000_000,
    burst: tuple[int, int] = (100_000, 20_000),
    matchers: int = 2,
    replay: tuple[int, int] = (10_000, 50_000),
    year: tuple[int, int, Path] = (365, 13_750, Path("var/year")),
) -> None:
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="pnm-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        if "replay" in sections:  # first: no broker or database, and a quiet machine
            print_replay(replay_figures(workdir, *replay))
        if "year" in sections:  # the same, on a generated year (or fewer days)
            print_year(year_figures(*year))
        if not set(sections) & SERVED:  # no broker or database to start
            _matching_section(sections, notifications)
            return
        if bootstrap is None:
            broker = ScriptKafka(workdir / "kafka").start()
            stack.callback(broker.stop)
            bootstrap = broker.bootstrap
        if database_url is None:
            pg = LocalPostgres(workdir / "postgres", free_port()).start()
            stack.callback(pg.stop)
            database_url = pg.url
        print(f"pnm bench: Kafka {bootstrap}, PostgreSQL {database_url} (durable)")
        site = Served(bootstrap, database_url, workdir, run)
        if "pipeline" in sections:
            await _pipeline_section(site, count)
        if "ingest" in sections:
            m = await manifest_rates(site, manifest_lines)
            print(f"ingest of one {m.lines}-line manifest (normalised, stored, published):")
            for label, seconds in (
                ("stored (response):", m.stored_seconds),
                ("end to end to Kafka:", m.published_seconds),
            ):
                print(f"  {label:30}{m.lines / seconds:10.0f} lines/s ({seconds:.2f} s)")
            raw = m.copy_seconds + m.produce_seconds
            print(
                f"  {'raw COPY + raw produce:':30}{m.lines / raw:10.0f} lines/s "
                f"({m.copy_seconds:.2f} s + {m.produce_seconds:.2f} s)"
            )
            print(f"  {'ratio service / raw:':30}{raw / m.published_seconds:10.3f}")
        if "burst" in sections:
            seconds, latencies = await burst_figures(site, *burst, matchers)
            print_burst(burst[0], burst[1], matchers, seconds, latencies)
        if "holds" in sections:
            await _holds_section(site, burst, matchers)
        if "intake" in sections:
            rest, upload, copy_seconds = await intake_rates(site, records)
            print(
                f"intake of {records} pre-notifications (validated, versioned, stored, published):"
            )
            print(rest.line("REST bulk:"))
            print(upload.line("file upload (CSV):"))
            print(f"  {'raw PostgreSQL COPY:':30}{records / copy_seconds:10.0f} records/s")
            ratio = copy_seconds / rest.stored_seconds
            print(f"  {'ratio REST bulk / COPY:':30}{ratio:10.3f}")
        if "rejoin" in sections:
            await rejoin_section(site)
        # Last: it builds a multi-gigabyte index in this process, whose heap would otherwise
        # slow the sections that time events as this process receives them.
        _matching_section(sections, notifications)


def _matching_section(sections: list[str], notifications: int) -> None:
    if "matching" in sections:
        print_matching(matching_figures(notifications, min(20_000, notifications)))


async def _pipeline_section(site: Served, count: int) -> None:
    lines = bench_lines(count, site.run)
    payloads = line_events(lines)
    print(f"pipeline of {count} manifest lines:")
    raw = await raw_passthrough(site.bootstrap, payloads, site.run)
    print(f"  raw aiokafka consume→produce: {raw.rate:10.0f} msg/s   ({raw.seconds:.2f} s)")
    pipe = await pipeline_rate(site, lines)
    p50, p99 = (percentile(pipe.latencies, q) * 1000 for q in (50, 99))
    print(
        f"  pipeline line → decision:     {pipe.rate:10.0f} lines/s ({pipe.seconds:.2f} s; "
        f"latency p50 {p50:.0f} ms, p99 {p99:.0f} ms)"
    )
    print(f"  ratio pipeline / raw:         {pipe.rate / raw.rate:10.3f}")


async def _holds_section(site: Served, burst: tuple[int, int], matchers: int) -> None:
    """The raw baseline first, on the burst's own line events (docs/terminal-sim.md)."""
    lines, _ = holds_lines(burst[1], site.run)
    raw = await raw_passthrough(site.bootstrap, line_events(lines), f"{site.run}h")
    figures = await holds_figures(site, *burst, matchers)
    print_holds(figures, raw.rate, raw.seconds)
