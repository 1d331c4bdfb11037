"""A client that re-sends a write after a lost response, with the same Idempotency-Key, gets
the first answer again and publishes nothing new; the key is the caller's and the route's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from infra import bearer
from sqlalchemy import func, select

from pnm.cli.services import ALL
from pnm.manifest_ingest.adapters.tables import messaging
from pnm.shared.contracts.topics import MANIFEST_ARRIVALS, MANIFEST_ETA
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line

DMF = bearer("feed:dmf", subject="dmf")
ARRIVAL = {"manifest_id": "EMMA-248W", "arrived_at": "2026-12-07T06:00:00+01:00"}


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    async with (
        Pipeline(
            [ALL["manifest-ingest"]], database_url=database_url, transport="inprocess"
        ) as pipeline,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app),
            base_url="http://pnm/manifest-ingest",
        ) as client,
    ):
        yield pipeline, client


async def staged(pipeline: Pipeline, topic: str) -> int:
    """Events written to the outbox for `topic` (published or not)."""
    outbox = messaging.outbox
    async with pipeline.engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.topic == topic)
            )
            or 0
        )


async def test_a_resent_arrival_with_the_same_key_publishes_once(
    service: tuple[Pipeline, httpx.AsyncClient],
) -> None:
    pipeline, client = service
    headers = {**DMF, "Idempotency-Key": "arrival-EMMA-248W-1"}
    first = await client.post("/arrivals", json=ARRIVAL, headers=headers)
    assert first.status_code == 202, first.text
    again = await client.post("/arrivals", json=ARRIVAL, headers=headers)
    assert again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await staged(pipeline, MANIFEST_ARRIVALS.name) == 1

    # The same key with another body is refused, saying why, and changes nothing.
    other = await client.post(
        "/arrivals", json={**ARRIVAL, "arrived_at": "2026-12-07T07:00:00+01:00"}, headers=headers
    )
    assert other.status_code == 422
    [error] = other.json()["errors"]
    assert error["field"] == "header.Idempotency-Key"
    assert error["rule"] == "idempotency_key_reused"
    assert "different request" in other.json()["detail"]
    assert await staged(pipeline, MANIFEST_ARRIVALS.name) == 1

    # Scoped: another caller, or another route, with the same key is a request of its own.
    someone_else = {
        **bearer("feed:dmf", subject="dmf-backup"),
        "Idempotency-Key": headers["Idempotency-Key"],
    }
    assert (await client.post("/arrivals", json=ARRIVAL, headers=someone_else)).status_code == 202
    assert await staged(pipeline, MANIFEST_ARRIVALS.name) == 2
    eta = {"manifest_id": "EMMA-248W", "eta": "2026-12-08T06:00:00+01:00"}
    assert (await client.post("/eta", json=eta, headers=headers)).status_code == 202
    assert (await client.post("/eta", json=eta, headers=headers)).status_code == 202
    assert await staged(pipeline, MANIFEST_ETA.name) == 1

    keys = messaging.idempotency
    async with pipeline.engine.connect() as conn:
        kept = {tuple(r) for r in await conn.execute(select(keys.c.subject, keys.c.route))}
    assert kept == {
        ("dmf", "POST /manifest-ingest/arrivals"),
        ("dmf-backup", "POST /manifest-ingest/arrivals"),
        ("dmf", "POST /manifest-ingest/eta"),
    }

    # Without a key nothing changes: every post is an event of its own.
    assert (await client.post("/arrivals", json=ARRIVAL, headers=DMF)).status_code == 202
    assert await staged(pipeline, MANIFEST_ARRIVALS.name) == 3


async def test_refusals_by_role_are_not_kept_and_bad_keys_are_refused(
    service: tuple[Pipeline, httpx.AsyncClient],
) -> None:
    pipeline, client = service
    key = {"Idempotency-Key": "retry-after-fixing-the-role"}
    denied = await client.post(
        "/arrivals", json=ARRIVAL, headers={**bearer("terminal:ECTDELTA", subject="dmf"), **key}
    )
    assert denied.status_code == 403
    allowed = await client.post("/arrivals", json=ARRIVAL, headers={**DMF, **key})
    assert allowed.status_code == 202
    assert await staged(pipeline, MANIFEST_ARRIVALS.name) == 1

    for bad in ("x" * 256, "has space", "tab\there"):
        response = await client.post(
            "/arrivals", json=ARRIVAL, headers={**DMF, "Idempotency-Key": bad}
        )
        assert response.status_code == 422, bad
        [error] = response.json()["errors"]
        assert error["field"] == "header.Idempotency-Key"
        assert error["value"] == bad[:64]
    assert await staged(pipeline, MANIFEST_ARRIVALS.name) == 1


async def test_a_resent_upload_is_the_same_request_whatever_its_multipart_boundary(
    service: tuple[Pipeline, httpx.AsyncClient],
) -> None:
    _, client = service
    line = manifest_line(
        "EMMA-248W", "1", hs_code="020230", description="Frozen beef", containers=[container(1)]
    )
    content = line.model_dump_json().encode() + b"\n"
    headers = {**DMF, "Idempotency-Key": "upload-emma-1"}
    answers = [
        await client.post("/files", files={"file": ("emma.jsonl", content)}, headers=headers)
        for _ in range(2)  # httpx draws a new boundary for every request
    ]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert answers[1].json() == answers[0].json()
    other = await client.post(
        "/files", files={"file": ("emma.jsonl", content + content)}, headers=headers
    )
    assert other.status_code == 422
