"""`pnm bench` intake section: bulk pre-notification intake through a running `pnm serve
prenotification` (REST bulk and file upload; stored, then published to Kafka) beside a raw
PostgreSQL COPY of the same rows on the same machine."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pnm.cli.bench_common import Served, bearer
from pnm.cli.processes import ServiceProcesses
from pnm.shared.contracts.records import ChedType, PreNotification
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options
from pnm.shared.roles import feed_role
from pnm.testing.files import prenotification_csv
from pnm.testing.records import container, manifest_line, prenotification


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


async def raw_copy(
    dsn: str, table: str, columns: dict[str, str], rows: list[tuple[Any, ...]]
) -> float:
    """COPY the same rows (their keys and the record as a JSON document) into a scratch table
    of these `columns` (name: type): what storing alone costs."""
    conn = await asyncpg.connect(dsn)
    try:
        declared = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        await conn.execute(f"CREATE TEMP TABLE {table} ({declared})")
        started = time.perf_counter()
        await conn.copy_records_to_table(table, records=rows, columns=list(columns))
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


async def _posted(
    client: httpx.AsyncClient,
    dsn: str,
    schema: str,
    path: str,
    answered: tuple[str, int],
    **request: Any,
) -> tuple[float, float]:
    """POST to a service: seconds until its response (stored) and until its outbox is empty
    (published); the response must count `answered` (its field, the number expected)."""
    started = time.perf_counter()
    response = await client.post(path, **request)
    stored = time.perf_counter() - started
    response.raise_for_status()
    field, expected = answered
    assert response.json()[field] == expected, response.text[:500]
    await _published(dsn, schema)
    return stored, time.perf_counter() - started


async def intake_rates(site: Served, count: int) -> tuple[IntakeFigures, IntakeFigures, float]:
    env = await site.env(f"benchintake{site.run}.")
    dsn = site.database_url.replace("+asyncpg", "")
    headers = bearer(feed_role("vgc"))
    rest_records = bench_records(count, site.run, 0)
    file_records = bench_records(count, site.run, count)
    body = json.dumps({"records": [r.model_dump(mode="json") for r in rest_records]})
    csv_body = prenotification_csv(file_records).encode()
    with ServiceProcesses(["prenotification"], env, site.workdir / "intake-logs") as processes:
        base = f"http://127.0.0.1:{processes.ports()['prenotification']}"
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            await processes.wait_ready()
            rest = IntakeFigures(
                count,
                *await _posted(
                    client,
                    dsn,
                    "prenotification",
                    "/prenotification/prenotifications/bulk",
                    ("created", count),
                    content=body,
                    headers={**headers, "Content-Type": "application/json"},
                ),
            )
            file = IntakeFigures(
                count,
                *await _posted(
                    client,
                    dsn,
                    "prenotification",
                    "/prenotification/files",
                    ("created", count),
                    files={"file": ("bench.csv", csv_body, "text/csv")},
                    headers=headers,
                ),
            )
    copy_seconds = await raw_copy(
        dsn,
        "bench_copy",
        {
            "reference": "text",
            "version": "int",
            "system": "text",
            "status": "text",
            "record": "jsonb",
        },
        [
            (r.reference, r.version, r.system, r.status.value, r.model_dump_json())
            for r in rest_records
        ],
    )
    return rest, file, copy_seconds


@dataclass(frozen=True)
class ManifestFigures:
    lines: int
    stored_seconds: float  # until the response: normalised, versioned, stored with its outbox
    published_seconds: float  # until every line is on Kafka
    copy_seconds: float  # raw COPY of the same lines
    produce_seconds: float  # raw aiokafka produce of the same events


async def manifest_rates(site: Served, count: int) -> ManifestFigures:
    """One manifest of `count` lines through `pnm serve manifest-ingest`, beside a raw COPY and
    a raw produce of the same lines."""
    prefix = f"benchmanifest{site.run}."
    env = await site.env(prefix)
    dsn = site.database_url.replace("+asyncpg", "")
    lines = [
        manifest_line(
            f"BENCH-INGEST-{site.run}",  # not the pipeline section's manifest
            str(n),
            hs_code="020230",
            description="Frozen beef",
            containers=[container(n)],
        )
        for n in range(count)
    ]
    body = json.dumps({"lines": [line.model_dump(mode="json") for line in lines]})
    with ServiceProcesses(["manifest-ingest"], env, site.workdir / "manifest-logs") as processes:
        base = f"http://127.0.0.1:{processes.ports()['manifest-ingest']}"
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            await processes.wait_ready()
            stored, published = await _posted(
                client,
                dsn,
                "manifest_ingest",
                "/manifest-ingest/lines",
                ("declared", count),
                content=body,
                headers={**bearer(feed_role("dmf")), "Content-Type": "application/json"},
            )
    copy_seconds = await raw_copy(
        dsn,
        "bench_lines",
        {"manifest_id": "text", "line_id": "text", "version": "int", "record": "jsonb"},
        [(line.manifest_id, line.line_id, line.version, line.model_dump_json()) for line in lines],
    )
    raw_topic = f"{prefix}bench-raw"
    admin = AIOKafkaAdminClient(**kafka_client_options(site.bootstrap, KafkaSecurity()))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(raw_topic, 6, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        **kafka_client_options(site.bootstrap, KafkaSecurity()),
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
