"""The intake services as their feeds meet them in the integration tests: hosted on the real
PostgreSQL and Kafka with a client on their HTTP API, batches and files posted to it, a DMF
manifest written as CSV, their relays waited for, and a watched directory's results read back.
One copy for the manifest-ingest, pre-notification and edge tests."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from infra import Broker, eventually
from pydantic import BaseModel

from pnm.cli.services import ALL
from pnm.manifest_ingest.adapters.files import CSV_COLUMNS
from pnm.shared.contracts.records import ManifestLine
from pnm.shared.runtime import Pipeline

DROP_INTERVAL_SECONDS = "0.2"


@asynccontextmanager
async def hosted(
    services: Sequence[str],
    database_url: str,
    kafka: Broker,
    topic_prefix: str,
    base_url: str = "http://pnm",
    timeout: float = 5.0,  # httpx's own default
) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    """The services in one process on Kafka, and a client on their HTTP API at `base_url`."""
    async with Pipeline(
        [ALL[name] for name in services],
        database_url=database_url,
        transport="kafka",
        kafka_bootstrap=kafka.bootstrap,
        topic_prefix=topic_prefix,
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=base_url, timeout=timeout
        ) as client:
            yield pipeline, client


async def post_batch(
    client: httpx.AsyncClient,
    path: str,
    key: str,
    records: Sequence[BaseModel | dict[str, Any]],
    headers: dict[str, str],
) -> httpx.Response:
    """One batch as a feed posts it, `{key: [record, ...]}`: a record model in its JSON form, a
    dict (a record made bad on purpose) as it is."""
    body = {key: [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in records]}
    return await client.post(path, json=body, headers=headers)


async def post_file(
    client: httpx.AsyncClient,
    path: str,
    name: str,
    content: str | bytes,
    headers: dict[str, str],
    media_type: str = "text/csv",
) -> httpx.Response:
    """A file uploaded as a feed uploads it (multipart, field `file`)."""
    return await client.post(path, files={"file": (name, content, media_type)}, headers=headers)


async def relayed(pipeline: Pipeline, service: str, timeout: float) -> None:
    """Until the service's relay has published everything its outbox holds."""

    async def settled() -> bool:
        return await pipeline.services[service].relay.pending() == 0

    await eventually(settled, timeout=timeout)


def watched_directory(tmp_path: Path, settings: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A drop directory the service watches every 0.2 s; `settings`: its settings' prefix
    (PNM_MANIFEST_INGEST, PNM_PRENOTIFICATION)."""
    drop = tmp_path / "drop"
    drop.mkdir()
    monkeypatch.setenv(f"{settings}_DROP_DIR", str(drop))
    monkeypatch.setenv(f"{settings}_DROP_INTERVAL_SECONDS", DROP_INTERVAL_SECONDS)
    return drop


async def dropped_results(drop: Path, files: int, timeout: float) -> dict[str, dict[str, Any]]:
    """Once the watched directory has processed `files` files: each one's result, by the name
    of its result file without the content digest it is filed under."""

    async def processed() -> dict[str, dict[str, Any]] | None:
        found = sorted((drop / "processed").glob("*.result.json"))
        if len(found) < files:
            return None
        return {p.name.split("-", 1)[1]: json.loads(p.read_text()) for p in found}

    return await eventually(processed, timeout=timeout)


def manifest_csv_rows(record: ManifestLine) -> list[dict[str, Any]]:
    """A manifest line as DMF's CSV has it: one row per goods item, the line's fields on each."""
    line = {k: v for k, v in record.model_dump(mode="json").items() if k in CSV_COLUMNS}
    return [
        {
            **line,
            "transport_document_type": record.transport_document.type,
            "transport_document_number": record.transport_document.number,
            "containers": " ".join(record.containers),
            "document_references": "",
            "consignor_name": record.consignor.name,
            "consignor_country": record.consignor.country,
            "consignee_name": record.consignee.name,
            "consignee_country": record.consignee.country,
            "item": goods.item,
            "hs_code": goods.hs_code,
            "description": goods.description,
            "gross_mass_kg": goods.gross_mass_kg,
        }
        for goods in record.goods
    ]


def manifest_csv(rows: Sequence[dict[str, Any]]) -> str:
    """DMF's CSV of these rows, with its header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
