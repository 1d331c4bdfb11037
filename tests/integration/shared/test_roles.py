"""Every service checks the bearer token and the roles (docs/architecture.md, "Roles"; real
PostgreSQL, in-process transport): feeds write only their own records, terminals see and
acknowledge only their own instructions, officials read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from infra import bearer, eventually

from pnm.cli.services import ALL
from pnm.shared.runtime import Pipeline
from pnm.testing.records import arrival, container, manifest_line

DMF = bearer("feed:dmf")


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with Pipeline(
        list(ALL.values()), database_url=database_url, transport="inprocess"
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pnm") as client:
            yield client


async def test_roles_across_the_services(client: httpx.AsyncClient) -> None:
    line = manifest_line(
        "ROLES-1", "1", hs_code="020130", description="beef", containers=[container(31)]
    )
    body = {"lines": [line.model_dump(mode="json")]}
    assert (await client.post("/manifest-ingest/lines", json=body)).status_code == 401
    refused = await client.post("/manifest-ingest/lines", json=body, headers=bearer("feed:vgc"))
    assert refused.status_code == 403
    assert "feed:dmf" in refused.json()["detail"]
    assert (await client.post("/manifest-ingest/lines", json=body, headers=DMF)).status_code == 202
    arrived = arrival("ROLES-1").model_dump(mode="json")
    assert (
        await client.post("/manifest-ingest/arrivals", json=arrived, headers=DMF)
    ).status_code == 202

    assert (await client.get("/matcher/decisions/ROLES-1/1", headers=DMF)).status_code == 403

    async def held() -> list[dict[str, Any]]:
        response = await client.get("/holds/holds", headers=bearer("nvwa-inspector"))
        return list(response.json())

    [hold] = await eventually(held)
    [instruction] = hold["instructions"]

    other = bearer("terminal:RWG")
    assert (await client.get("/holds/holds", headers=other)).json() == []
    assert (await client.get(f"/holds/holds/{hold['hold_id']}", headers=other)).status_code == 404
    own = bearer("terminal:ECTDELTA")
    assert len((await client.get("/holds/holds", headers=own)).json()) == 1
    assert (await client.get("/holds/holds", headers=DMF)).status_code == 403

    ack = {
        "instruction_id": instruction["instruction_id"],
        "terminal": "ECTDELTA",
        "result": "applied",
        "at": "2026-11-27T10:00:00+00:00",
    }
    refused = await client.post("/holds/acks", json=ack, headers=other)
    assert refused.status_code == 403
    assert "terminal:ECTDELTA" in refused.json()["detail"]
    spoofed = await client.post("/holds/acks", json={**ack, "terminal": "RWG"}, headers=other)
    assert spoofed.status_code == 403  # the instruction went to ECTDELTA
    accepted = await client.post("/holds/acks", json=ack, headers=own)
    assert accepted.status_code == 200
    assert accepted.json()["hold_state"] == "acknowledged"
