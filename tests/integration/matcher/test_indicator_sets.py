"""Indicator sets through the matcher's API on a real PostgreSQL: an analyst uploads a set (validated,
with who and when), tries it with the dry run (nothing written), activates it, and decisions from
then on record its version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from infra import bearer, eventually
from sqlalchemy import func, select

from pnm.cli.services import ALL
from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.tables import decision_history
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line

MANIFEST = "SETS-EMMA-1"


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Pipeline]]:
    async with (
        Pipeline(list(ALL.values()), database_url=database_url, transport="inprocess") as pipeline,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
        ) as client,
    ):
        yield client, pipeline


def without_beef() -> dict[str, Any]:
    """The shipped set minus the bovine meat headings: a proposal an analyst might try."""
    document = shipped_indicator_set().document.model_dump(mode="json")
    document["version"] = "v3-no-beef"
    document["note"] = "trial: bovine meat out of scope"
    document["indicators"] = [
        i for i in document["indicators"] if i["cn_prefix"] not in ("0201", "0202")
    ]
    return document


async def test_upload_dry_run_and_activate(api: tuple[httpx.AsyncClient, Pipeline]) -> None:
    client, pipeline = api
    line = manifest_line(
        MANIFEST, "1", hs_code="020130", description="Frozen beef", containers=[container(4711)]
    )
    response = await client.post(
        "/manifest-ingest/lines",
        json={"lines": [line.model_dump(mode="json")]},
        headers=bearer("feed:dmf"),
    )
    assert response.status_code == 202, response.text

    async def decided() -> dict[str, Any] | None:
        r = await client.get(f"/matcher/decisions/{MANIFEST}/1", headers=bearer("analyst"))
        return r.json() if r.status_code == 200 else None

    await eventually(decided)
    first = await decided()
    assert first is not None
    assert (first["status"], first["indicator_set_version"]) == ("awaiting_notification", "v3")

    # Only analysts upload; a bad set is refused naming the field; a version is never changed.
    proposal = without_beef()
    forbidden = await client.post(
        "/matcher/indicator-sets", json=proposal, headers=bearer("customs-prearrival")
    )
    assert forbidden.status_code == 403
    bad = {**proposal, "parameters": {"review_threshold": 50.0}}
    refused = await client.post(
        "/matcher/indicator-sets", json=bad, headers=bearer("analyst", subject="ana")
    )
    assert refused.status_code == 422
    assert "review_threshold" in refused.text
    stored = await client.post(
        "/matcher/indicator-sets", json=proposal, headers=bearer("analyst", subject="ana")
    )
    assert stored.status_code == 201, stored.text
    again = await client.post(
        "/matcher/indicator-sets", json=proposal, headers=bearer("analyst", subject="ana")
    )
    assert again.status_code == 409

    # The dry run tells what the proposal would decide, and writes nothing.
    async with pipeline.engine.connect() as conn:
        before = await conn.scalar(select(func.count()).select_from(decision_history))
    trial = await client.get(
        f"/matcher/dry-run/{MANIFEST}/1",
        params={"indicator_set": "v3-no-beef"},
        headers=bearer("analyst"),
    )
    assert trial.status_code == 200, trial.text
    assert (trial.json()["status"], trial.json()["indicator_set_version"]) == (
        "not_controlled",
        "v3-no-beef",
    )
    unknown = await client.get(
        f"/matcher/dry-run/{MANIFEST}/1", params={"indicator_set": "v9"}, headers=bearer("analyst")
    )
    assert unknown.status_code == 404
    async with pipeline.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(decision_history)) == before
    assert (await decided()) == first

    # Activated, it decides the next change and is recorded with who did it.
    activated = await client.post(
        "/matcher/indicator-sets/v3-no-beef/activate", headers=bearer("admin", subject="boss")
    )
    assert activated.status_code == 200, activated.text
    listed = (await client.get("/matcher/indicator-sets", headers=bearer("analyst"))).json()
    current = next(s for s in listed if s["active"])
    assert (current["version"], current["uploaded_by"], current["activated_by"]) == (
        "v3-no-beef",
        "ana",
        "boss",
    )
    amended = line.model_copy(update={"version": 2, "voyage": "249W"})
    response = await client.post(
        "/manifest-ingest/lines",
        json={"lines": [amended.model_dump(mode="json")]},
        headers=bearer("feed:dmf"),
    )
    assert response.status_code == 202, response.text

    async def redecided() -> bool:
        latest = await decided()
        return latest is not None and latest["indicator_set_version"] == "v3-no-beef"

    await eventually(redecided)
    assert (await decided() or {})["status"] == "not_controlled"
