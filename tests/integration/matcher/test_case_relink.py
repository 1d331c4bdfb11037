"""Customs links a written pre-notification to a held line's case, and the matcher re-matches
the line (docs/cases.md, "Matcher side"): the whole pipeline in-process on a real PostgreSQL.
The written pre-notification names no container and another transport document, so on its own
it does not match the line; linked, the line quotes its reference."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from infra import DMF, OFFICER, bearer, eventually
from sqlalchemy import func, select

from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import line as line_table
from pnm.matcher.adapters.tables import messaging
from pnm.matcher.adapters.tables import prenotification as prenotification_table
from pnm.shared.contracts.records import ChedType, Party
from pnm.shared.runtime import Pipeline
from pnm.testing.records import arrival, container, manifest_line, prenotification

MANIFEST = "RELINK-1"
REFERENCE = "CHEDP.NL.2026.0077001"
ANALYST = bearer("analyst")
dead_letters = messaging.dead_letter
NVWA = bearer("nvwa-inspector", subject="inspector.nvwa.devries")
CUSTOMS = bearer(*OFFICER, subject="douane-1")


@pytest.fixture
async def pipeline(database_url: str) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    async with Pipeline(
        list(ALL.values()), database_url=database_url, transport="inprocess"
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pnm") as client:
            yield pipeline, client


async def _decision(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(f"/matcher/decisions/{MANIFEST}/1", headers=ANALYST)
    return dict(response.json()) if response.status_code == 200 else {}


async def _history(client: httpx.AsyncClient) -> list[str]:
    response = await client.get(f"/matcher/decisions/{MANIFEST}/1/history", headers=ANALYST)
    return [d["status"] for d in response.json()]


async def _holds(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/holds/holds", headers=NVWA)
    return [h for h in response.json() if h["manifest_id"] == MANIFEST]


async def test_a_linked_written_prenotification_rematches_the_held_line(
    pipeline: tuple[Pipeline, httpx.AsyncClient],
) -> None:
    running, client = pipeline
    # The vessel came in yesterday; the party faxed its CHED-P only after the hold.
    now = datetime.now(UTC)
    eta = now - timedelta(days=1)
    line = manifest_line(
        MANIFEST,
        "1",
        hs_code="020130",
        description="Frozen beef",
        containers=[container(77)],
        eta=eta,
    )
    body = {"lines": [line.model_dump(mode="json")]}
    assert (await client.post("/manifest-ingest/lines", json=body, headers=bearer(*DMF))).is_success
    arrived = arrival(MANIFEST, eta).model_dump(mode="json")
    posted = await client.post("/manifest-ingest/arrivals", json=arrived, headers=bearer(*DMF))
    assert posted.is_success, posted.text

    async def unnotified() -> dict[str, Any] | None:
        decided = await _decision(client)
        return decided if decided.get("status") == "unnotified" else None

    await eventually(unnotified)
    [hold] = await eventually(lambda: _holds(client))
    assert hold["state"] == "instructed"

    # No container, no transport document, the importer under another name.
    written = prenotification(
        REFERENCE,
        ched_type=ChedType.CHED_P,
        cn_code="020130",
        description="Frozen beef",
        containers=[],
        transport_document=None,
        expected_arrival=eta,
        importer=Party(name="Kroonvlees Handel B.V.", country="NL"),
        submitted_at=now - timedelta(minutes=1),
    ).model_copy(update={"system": "written"})
    entered = await client.post(
        "/prenotification/written", json=written.model_dump(mode="json"), headers=NVWA
    )
    assert entered.status_code == 201, entered.text

    async def seen_by_the_matcher() -> bool:
        async with running.engine.connect() as conn:
            stored = await conn.scalar(
                select(prenotification_table.c.reference).where(
                    prenotification_table.c.reference == REFERENCE
                )
            )
        return stored is not None

    await eventually(seen_by_the_matcher)
    assert (await _decision(client))["status"] == "unnotified"

    [case] = (
        await client.get("/holds/cases", params={"manifest_id": MANIFEST}, headers=CUSTOMS)
    ).json()
    link = {"reference": REFERENCE, "received_by": "fax"}
    linked = await client.post(
        f"/holds/cases/{case['case_id']}/references", json=link, headers=CUSTOMS
    )
    assert linked.status_code == 200, linked.text

    async def rematched() -> dict[str, Any] | None:
        decided = await _decision(client)
        return decided if decided.get("status") == "notified_late" else None

    decided = await eventually(rematched)
    assert decided["references"] == [REFERENCE]

    async def release_requested() -> dict[str, Any] | None:
        [hold] = await _holds(client)
        return hold if hold["state"] == "release_requested" else None

    await eventually(release_requested)
    assert (await _history(client))[-1] == "notified_late"

    # A later version of the line still quotes the linked reference.
    amended = line.model_copy(update={"version": 2, "voyage": "249W"})
    body = {"lines": [amended.model_dump(mode="json")]}
    assert (await client.post("/manifest-ingest/lines", json=body, headers=bearer(*DMF))).is_success

    async def amended_stored() -> bool:
        # The line is stored and decided in one transaction: once it is visible, so is that.
        async with running.engine.connect() as conn:
            version = await conn.scalar(
                select(line_table.c.version).where(
                    line_table.c.manifest_id == MANIFEST, line_table.c.line_id == "1"
                )
            )
        return version == 2

    await eventually(amended_stored)
    assert (await _decision(client))["status"] == "notified_late"

    # The other case events (opened, contact, closed) are no poison for the matcher.
    async with running.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(dead_letters)) == 0
