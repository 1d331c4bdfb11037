"""`pnm bench --only matching|burst`: the matcher at scale.

matching: one million active pre-notifications in the in-memory index the replay uses; the
per-line time of candidate search plus every stage of the decision, p50/p99, and the memory
the index takes, beside a raw dictionary probe per line.

burst: 100,000 active pre-notifications in the matcher's PostgreSQL read model, then 20,000
manifest lines of two large ships produced onto Kafka at once; the time until every decision
is on the decisions topic, and the latency per line, with the matcher as its own process (or
several, in one consumer group).
"""

from __future__ import annotations

import asyncio
import gc
import random
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.cli.bench_common import Served, line_events, matchers_of, percentile, watch_decisions
from pnm.cli.processes import ServiceProcesses
from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.postgres_store import PostgresStore
from pnm.matcher.domain.blocking import NotificationIndex
from pnm.matcher.domain.decision import Evidence
from pnm.matcher.domain.facts import Goods, LineFacts, NotificationFacts
from pnm.matcher.domain.keys import reference_key
from pnm.matcher.domain.matching import evaluate
from pnm.matcher.service_layer.batch import Batch
from pnm.matcher.service_layer.service import Settings, apply
from pnm.shared.contracts.records import (
    ChedType,
    ManifestLine,
    Party,
    PreNotification,
    PreNotificationStatus,
)
from pnm.shared.contracts.topics import DECISIONS, MANIFEST_LINES
from pnm.shared.db import make_engine
from pnm.shared.identifiers import party_name
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options
from pnm.testing.records import BASE_ETA, container, manifest_line, prenotification

VESSELS = 5_000  # vessel calls and flights in the window the active notifications cover
SHIP_LINES = 10_000  # the two large ships of the burst carry the first 2 x 10,000
IMPORTER_COUNT = 2_000


def vessel_imo(n: int) -> str:
    """The vessel of consignment n: the two large ships first, then spread over the others."""
    if n < 2 * SHIP_LINES:
        return str(9_700_000 + n // SHIP_LINES)
    return str(9_000_000 + n % VESSELS)


def box(n: int, owner: str = "BNCU") -> str:
    """Consignment n's container: serials scattered as on a real ship, not consecutive (which
    would make every box a typo's distance from its neighbours)."""
    return container((n * 7_919 + 104_729) % 1_000_000, owner=owner)


def importer(n: int) -> str:
    return f"Importer{n % IMPORTER_COUNT:04d} B.V."


def notifications(count: int) -> Iterator[NotificationFacts]:
    """Notifications of `count` consignments, one container each (consignment n in container
    n), each from one of 2,000 importers."""
    for n in range(count):
        yield NotificationFacts(
            reference=f"CHEDP.NL.2026.{n:07d}",
            ched_type=ChedType.CHED_P,
            status=PreNotificationStatus.SUBMITTED,
            submitted_at=BASE_ETA - timedelta(days=3),
            expected_arrival=BASE_ETA,
            bcp="NLRTM",
            inspection_point=None,
            transfer=False,
            containers=frozenset({box(n)}),
            transport_document=f"MAEU{n:09d}",
            vessel=f"imo:{vessel_imo(n)}",
            importer=party_name(importer(n)),
            commodities=(Goods("02013000", "Frozen boneless beef", 16_500.0),),
            net_mass_kg=16_500.0,
        )


def bench_line(manifest_id: str, line_id: int, n: int, box: str) -> ManifestLine:
    """The manifest line of consignment n (in `box`: its own container, or another)."""
    line = manifest_line(
        manifest_id,
        str(line_id),
        hs_code="020130",
        description="Frozen beef",
        containers=[box],
        bill_of_lading=f"MAEU{n:09d}",
    )
    consignee = line.consignee.model_copy(update={"name": importer(n)})
    return line.model_copy(update={"vessel_imo": vessel_imo(n), "consignee": consignee})


@dataclass(frozen=True)
class MatchingFigures:
    notifications: int
    lines: int
    build_seconds: float
    index_mib: float
    per_line_ms: list[float]
    probe_ms: list[float]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def matching_figures(count: int, lines: int) -> MatchingFigures:
    indicators = shipped_indicator_set()
    gc.collect()
    before = _rss_mib()
    started = time.perf_counter()
    index = NotificationIndex(notifications(count))
    build = time.perf_counter() - started
    size = _rss_mib() - before
    rng = random.Random(2)
    # Half the lines are notified consignments, half are not (another owner's container).
    picked = [rng.randrange(count) for _ in range(lines)]
    records = [
        bench_line("BENCH-M", i, n, box(n) if i % 2 else box(n, owner="ZZZU"))
        for i, n in enumerate(picked)
    ]
    plain = {n.reference: n for n in notifications(min(count, 10_000))}
    per_line, probes = [], []
    for record in records:
        t0 = time.perf_counter()
        facts = LineFacts.of(record)
        candidates = index.candidates(facts)
        evaluate(
            record,
            facts,
            [Evidence(n) for n in candidates],
            (),
            (),
            {},
            None,
            indicators,
            BASE_ETA - timedelta(days=5),
        )
        t1 = time.perf_counter()
        plain.get(record.line_id)
        t2 = time.perf_counter()
        per_line.append((t1 - t0) * 1000)
        probes.append((t2 - t1) * 1000)
    return MatchingFigures(count, lines, build, size, per_line, probes)


def print_matching(f: MatchingFigures) -> None:
    p50, p99 = (percentile(f.per_line_ms, q) for q in (50, 99))
    r50, r99 = (percentile(f.probe_ms, q) for q in (50, 99))
    print(f"matching against {f.notifications:,} active pre-notifications (in memory):")
    print(f"  index built in {f.build_seconds:.1f} s, resident size +{f.index_mib:,.0f} MiB")
    print(f"  per line, candidates + all stages: p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    print(f"  raw dict probe per line:           p50 {r50:.4f} ms, p99 {r99:.4f} ms")


async def burst_figures(
    site: Served, count: int, lines: int, matchers: int = 1
) -> tuple[float, list[float]]:
    prefix = f"burst{site.run}."
    env = await site.env(prefix)
    bootstrap = site.bootstrap
    with ServiceProcesses(matchers_of(matchers), env, site.workdir / "burst-logs") as processes:
        await processes.wait_ready()
        await load_notifications(site.database_url, count)
        records = [
            bench_line(f"BURST-{site.run}-{n // SHIP_LINES}", n, n, box(n)) for n in range(lines)
        ]
        decided: dict[str, float] = {}
        watcher = asyncio.create_task(
            watch_decisions(bootstrap, prefix + DECISIONS.name, decided, len(records))
        )
        await asyncio.sleep(2)
        producer = AIOKafkaProducer(**kafka_client_options(bootstrap, KafkaSecurity()), linger_ms=5)
        await producer.start()
        events = line_events(records)
        sent: dict[str, float] = {}
        started = time.perf_counter()
        try:
            for record, event in zip(records, events, strict=True):
                await producer.send(prefix + MANIFEST_LINES.name, event, key=record.key.encode())
                sent[record.key] = time.perf_counter()
            await producer.flush()
        finally:
            await producer.stop()
        await asyncio.wait_for(watcher, timeout=900)
    seconds = max(decided.values()) - started
    return seconds, [(decided[k] - sent[k]) * 1000 for k in sent]


def notification_records(count: int) -> Iterator[PreNotification]:
    """The records of `notifications(count)`, as a feed sends them."""
    for n in range(count):
        record = prenotification(
            f"CHEDP.NL.2026.{n:07d}",
            ched_type=ChedType.CHED_P,
            cn_code="02013000",
            description="Frozen boneless beef",
            containers=[box(n)],
            transport_document=f"MAEU{n:09d}",
            net_mass_kg=16_500.0,
        )
        yield record.model_copy(
            update={"vessel_imo": vessel_imo(n), "importer": Party(name=importer(n), country="NL")}
        )


async def load_notifications(database_url: str, count: int) -> None:
    """Through the matcher's service layer, as its consumer stores them, 5,000 to a unit of
    work (once per database: the burst and holds sections of one run share them)."""
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            first = reference_key("CHEDP.NL.2026.0000000")
            if await PostgresStore(conn).notifications_with_keys({f"reference:{first}"}):
                return
        batch = Batch()
        for record in notification_records(count):
            batch.add_notification(record, None, record.submitted_at, None)
            if len(batch.notifications) == 5_000:
                await _apply(engine, batch)
                batch = Batch()
        await _apply(engine, batch)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()


async def _apply(engine: AsyncEngine, batch: Batch) -> None:
    async with engine.begin() as conn:
        await apply(batch, PostgresStore(conn), lambda: BASE_ETA - timedelta(days=2), Settings())


def print_burst(
    count: int, lines: int, matchers: int, seconds: float, latencies: list[float]
) -> None:
    p50, p99 = (percentile(latencies, q) for q in (50, 99))
    print(
        f"burst of {lines:,} manifest lines against {count:,} active pre-notifications "
        f"({matchers} matcher process{'es' if matchers > 1 else ''}):"
    )
    print(
        f"  all decisions on Kafka in {seconds:.2f} s ({lines / seconds:,.0f} lines/s); "
        f"latency per line p50 {p50:,.0f} ms, p99 {p99:,.0f} ms"
    )
