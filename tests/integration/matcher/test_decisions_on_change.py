"""The matcher publishes a decision only when it changes (in-process transport, real
PostgreSQL): an amendment that changes nothing the decision says publishes nothing."""

from __future__ import annotations

import json

import httpx
from infra import bearer, eventually
from sqlalchemy import func, select

from pnm.cli.services import ALL
from pnm.matcher.adapters.tables import messaging
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line


async def test_a_decision_is_published_only_when_it_changes(database_url: str) -> None:
    box = container(900_001)
    async with Pipeline(
        list(ALL.values()), database_url=database_url, transport="inprocess"
    ) as pipeline:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
        )

        async def post(version: int, hs_code: str, description: str) -> dict[str, object]:
            line = manifest_line(
                "CHANGE-1",
                "1",
                hs_code=hs_code,
                description=description,
                containers=[box],
                version=version,
            )
            response = await client.post(
                "/manifest-ingest/lines",
                json={"lines": [line.model_dump(mode="json")]},
                headers=bearer("feed:dmf"),
            )
            assert response.status_code == 202, response.text
            await eventually(settled)
            decided = (
                await client.get("/matcher/decisions/CHANGE-1/1", headers=bearer("analyst"))
            ).json()
            assert isinstance(decided, dict)
            return decided

        async def settled() -> bool:
            # In-process, an outbox row is marked published only after every subscriber
            # committed it: an empty backlog everywhere means the pipeline is at rest.
            return all([await hosted.relay.pending() == 0 for hosted in pipeline.services.values()])

        async def decision_events() -> int:
            async with pipeline.engine.connect() as conn:
                return int(
                    await conn.scalar(select(func.count()).select_from(messaging.outbox)) or 0
                )

        first = await post(1, "020230", "Frozen beef")
        assert (first["status"], first["decision_number"]) == ("awaiting_notification", 1)
        assert await decision_events() == 1

        same = await post(2, "020230", "Frozen beef, boneless (amended description)")
        assert same["decision_number"] == 1 and same["line_version"] == 1
        assert await decision_events() == 1

        older = await post(1, "610910", "an older version arriving late")
        assert older["decision_number"] == 1
        assert await decision_events() == 1

        changed = await post(3, "610910", "Cotton T-shirts")
        assert (changed["status"], changed["decision_number"], changed["line_version"]) == (
            "not_controlled",
            2,
            3,
        )
        assert await decision_events() == 2

        # The correlation id of the request travels with the events it caused, across services.
        line = manifest_line(
            "CHANGE-1", "2", hs_code="020230", description="beef", containers=[container(900_002)]
        )
        response = await client.post(
            "/manifest-ingest/lines",
            json={"lines": [line.model_dump(mode="json")]},
            headers={"X-Correlation-ID": "case-4711", **bearer("feed:dmf")},
        )
        assert response.headers["X-Correlation-ID"] == "case-4711"
        await eventually(settled)
        async with pipeline.engine.connect() as conn:
            payloads = (await conn.execute(select(messaging.outbox.c.payload))).scalars().all()
        caused = [json.loads(p) for p in payloads if json.loads(p)["subject"] == "CHANGE-1/2"]
        assert [e["correlationid"] for e in caused] == ["case-4711"]
        await client.aclose()
