"""`pnm bench` intake section: bulk pre-notification intake through a running `pnm serve
prenotification` (REST bulk and file upload; stored, then published to Kafka) beside a raw
PostgreSQL COPY of the same rows on the same machine."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pnm.cli.processes import ServiceProcesses, service_env
from pnm.cli.topics import create_topics
from pnm.shared.auth import mint_token
from pnm.shared.contracts.records import ChedType, PreNotification
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options
from pnm.testing.files import prenotification_csv
from pnm.testing.records import container, manifest_line, prenotification

BENCH_SECRET = "pnm-bench-secret-not-for-production-0123456789"


@dataclass(frozen=True)
class IntakeFigures:
    records: int
    stored_seconds: float  # until the response: validated, versioned, stored (with outbox)
    published_seconds: float  # until the outbox is empty: on Kafka

    def line(self, label: str) -> str:
        return (
            f"  {label:30}{self.records / self.stored_seconds:10.0f} records/s stored "
            f"({self.stored_seconds:.2f} s), {self.records / self.published_seconds:.0f}/s "
            f"published ({self.published_seconds:.2f} s)"
        )


def bench_records(count: int, run: str, offset: int) -> list[PreNotification]:
    sequence = int(run[:6], 16) % 9_000_000
    return [
        prenotification(
            f"CHEDP.NL.2026.{(sequence + offset + n) % 10_000_000:07d}",
            ched_type=ChedType.CHED_P,
            cn_code="0202",
            description="Frozen beef",
            containers=[container(offset + n)],
        )
        for n in range(count)
    ]


async def raw_copy(dsn: str, records: list[PreNotification]) -> float:
    """COPY the same rows, as JSON documents, into a scratch table: what storing alone costs."""
    rows = [
        (r.reference, r.version, r.system, r.status.value, r.model_dump_json()) for r in records
    ]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TEMP TABLE bench_copy (reference text, version int, system text, "
            "status text, record jsonb)"
        )
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "bench_copy",
            records=rows,
            columns=["reference", "version", "system", "status", "record"],
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _published(dsn: str, schema: str = "prenotification") -> None:
    conn = await asyncpg.connect(dsn)
    try:
        while await conn.fetchval(  # noqa: ASYNC110 - polling another process's table
            f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"
        ):
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def intake_rates(
    bootstrap: str, database_url: str, count: int, workdir: Path, run: str
) -> tuple[IntakeFigures, IntakeFigures, float]:
    prefix = f"benchintake{run}."
    await create_topics(bootstrap, prefix)
    dsn = database_url.replace("+asyncpg", "")
    env = service_env(database_url, bootstrap, prefix, BENCH_SECRET)
    token = mint_token(BENCH_SECRET, subject="bench", roles=["feed:vgc"])
    headers = {"Authorization": f"Bearer {token}"}
    rest_records = bench_records(count, run, 0)
    file_records = bench_records(count, run, count)
    body = json.dumps({"records": [r.model_dump(mode="json") for r in rest_records]})
    csv_body = prenotification_csv(file_records).encode()
    with ServiceProcesses(["prenotification"], env, workdir / "intake-logs") as processes:
        base = f"http://127.0.0.1:{processes.ports()['prenotification']}"
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            await processes.wait_ready()
            started = time.perf_counter()
            response = await client.post(
                "/prenotification/prenotifications/bulk",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            stored = time.perf_counter() - started
            response.raise_for_status()
            assert response.json()["created"] == count, response.text[:500]
            await _published(dsn)
            rest = IntakeFigures(count, stored, time.perf_counter() - started)

            started = time.perf_counter()
            response = await client.post(
                "/prenotification/files",
                files={"file": ("bench.csv", csv_body, "text/csv")},
                headers=headers,
            )
            stored = time.perf_counter() - started
            response.raise_for_status()
            assert response.json()["created"] == count, response.text[:500]
            await _published(dsn)
            file = IntakeFigures(count, stored, time.perf_counter() - started)
    copy_seconds = await raw_copy(dsn, rest_records)
    return rest, file, copy_seconds


@dataclass(frozen=True)
class ManifestFigures:
    lines: int
    stored_seconds: float  # until the response: normalised, versioned, stored with its outbox
    published_seconds: float  # until every line is on Kafka
    copy_seconds: float  # raw COPY of the same lines
    produce_seconds: float  # raw aiokafka produce of the same events


async def manifest_rates(
    bootstrap: str, database_url: str, count: int, workdir: Path, run: str
) -> ManifestFigures:
    """One manifest of `count` lines through `pnm serve manifest-ingest`, beside a raw COPY and
    a raw produce of the same lines."""
    prefix = f"benchmanifest{run}."
    await create_topics(bootstrap, prefix)
    dsn = database_url.replace("+asyncpg", "")
    env = service_env(database_url, bootstrap, prefix, BENCH_SECRET)
    token = mint_token(BENCH_SECRET, subject="bench", roles=["feed:dmf"])
    lines = [
        manifest_line(
            f"BENCH-INGEST-{run}",  # not the pipeline section's manifest
            str(n),
            hs_code="020230",
            description="Frozen beef",
            containers=[container(n)],
        )
        for n in range(count)
    ]
    body = json.dumps({"lines": [line.model_dump(mode="json") for line in lines]})
    with ServiceProcesses(["manifest-ingest"], env, workdir / "manifest-logs") as processes:
        base = f"http://127.0.0.1:{processes.ports()['manifest-ingest']}"
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            await processes.wait_ready()
            started = time.perf_counter()
            response = await client.post(
                "/manifest-ingest/lines",
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            stored = time.perf_counter() - started
            response.raise_for_status()
            assert response.json()["declared"] == count, response.text[:500]
            await _published(dsn, "manifest_ingest")
            published = time.perf_counter() - started
    rows = [
        (line.manifest_id, line.line_id, line.version, line.model_dump_json()) for line in lines
    ]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TEMP TABLE bench_lines "
            "(manifest_id text, line_id text, version int, record jsonb)"
        )
        started = time.perf_counter()
        await conn.copy_records_to_table("bench_lines", records=rows)
        copy_seconds = time.perf_counter() - started
    finally:
        await conn.close()
    raw_topic = f"{prefix}bench-raw"
    admin = AIOKafkaAdminClient(**kafka_client_options(bootstrap, KafkaSecurity()))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(raw_topic, 6, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        **kafka_client_options(bootstrap, KafkaSecurity()),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )
    await producer.start()
    try:
        payloads = [(line.key.encode(), line.model_dump_json().encode()) for line in lines]
        started = time.perf_counter()
        futures = [await producer.send(raw_topic, value, key=key) for key, value in payloads]
        await asyncio.gather(*futures)
        produce_seconds = time.perf_counter() - started
    finally:
        await producer.stop()
    return ManifestFigures(count, stored, published, copy_seconds, produce_seconds)
