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

from pnm.cli.processes import ServiceProcesses
from pnm.cli.scenarios import container, prenotification
from pnm.cli.topics import create_topics
from pnm.prenotification.adapters.files import write_csv
from pnm.shared.auth import mint_token
from pnm.shared.contracts.records import ChedType, PreNotification

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


async def _published(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        while await conn.fetchval(  # noqa: ASYNC110 - polling another process's table
            "SELECT count(*) FROM prenotification.outbox WHERE published_at IS NULL"
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
    env = {
        "PNM_DATABASE_URL": database_url,
        "PNM_KAFKA_BOOTSTRAP": bootstrap,
        "PNM_KAFKA_TOPIC_PREFIX": prefix,
        "PNM_AUTH_SECRET": BENCH_SECRET,
    }
    token = mint_token(BENCH_SECRET, subject="bench", roles=["feed:vgc"])
    headers = {"Authorization": f"Bearer {token}"}
    rest_records = bench_records(count, run, 0)
    file_records = bench_records(count, run, count)
    body = json.dumps({"records": [r.model_dump(mode="json") for r in rest_records]})
    csv_body = write_csv(file_records).encode()
    with ServiceProcesses(["prenotification"], env, workdir / "intake-logs") as processes:
        base = f"http://127.0.0.1:{processes.ports()['prenotification']}"
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            for _ in range(300):
                try:
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
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
