"""A phyto hold opened from a decision with goods answers its inspection fee estimate through
the API (real PostgreSQL, the four services in-process): the matcher summarises the manifest
line's goods, the holds service keeps them on the hold, the route prices them (docs/fees.md)."""

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
PD = bearer("pd-inspector")
SATURDAY_MORNING = "2026-12-12T09:30:00+01:00"
TUESDAY_EVENING = "2026-12-08T20:15:00Z"  # 21:15 in Amsterdam


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with Pipeline(
        list(ALL.values()), database_url=database_url, transport="inprocess"
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pnm") as client:
            yield client


async def _holds_of(client: httpx.AsyncClient, manifest_id: str) -> dict[str, dict[str, Any]]:
    lines = [
        manifest_line(
            manifest_id, "1", hs_code="080510", description="oranges", containers=[container(41)]
        ),
        manifest_line(
            manifest_id, "2", hs_code="020130", description="beef", containers=[container(42)]
        ),
    ]
    body = {"lines": [line.model_dump(mode="json") for line in lines]}
    assert (await client.post("/manifest-ingest/lines", json=body, headers=DMF)).status_code == 202
    arrived = arrival(manifest_id).model_dump(mode="json")
    assert (
        await client.post("/manifest-ingest/arrivals", json=arrived, headers=DMF)
    ).status_code == 202

    async def both() -> dict[str, dict[str, Any]] | None:
        response = await client.get("/holds/holds", params={"manifest_id": manifest_id}, headers=PD)
        held = {h["regime"]: h for h in response.json()}
        return held if set(held) == {"phyto", "vet"} else None

    return await eventually(both)


async def test_a_phyto_hold_answers_its_fee_estimate(client: httpx.AsyncClient) -> None:
    held = await _holds_of(client, "FEES-1")
    phyto = held["phyto"]
    assert phyto["goods"] == [
        {
            "item": 1,
            "cn_code": "080510",
            "description": "oranges",
            "gross_mass_kg": 18000.0,
            "packages": 1200,
            "country_of_origin": "AR",
        }
    ]
    url = f"/holds/holds/{phyto['hold_id']}/fee-estimate"

    # docs/fees.md, example 2: 18 t of citrus at 10 %, a Tuesday evening.
    reduced = await client.get(
        url, params={"check": "reduced", "percentage": 10, "start": TUESDAY_EVENING}, headers=PD
    )
    assert reduced.status_code == 200, reduced.text
    answer = reduced.json()
    assert (answer["estimable"], answer["tariff_version"]) == (True, "KCB-2024.1")
    [line] = answer["estimate"]["lines"]
    assert (line["table"], line["row"], line["amount"], line["limit"]) == (
        "1.3",
        "10 %",
        "17.25",
        "minimum",
    )
    assert answer["estimate"]["surcharge"]["band"] == "evening_night"
    assert answer["estimate"]["total"] == "25.88"

    # docs/fees.md, example 1: a full check of 45 minutes on a Saturday morning.
    full = await client.get(
        url, params={"check": "full", "minutes": 45, "start": SATURDAY_MORNING}, headers=PD
    )
    assert full.status_code == 200, full.text
    assert full.json()["estimate"]["total"] == "220.61"

    # Not a listed percentage: no number, the reason.
    unlisted = await client.get(
        url, params={"check": "reduced", "percentage": 12, "start": TUESDAY_EVENING}, headers=PD
    )
    assert unlisted.status_code == 200
    assert unlisted.json()["estimable"] is False
    assert [r["code"] for r in unlisted.json()["reasons"]] == ["percentage_not_in_table"]


async def test_fee_estimate_refusals(client: httpx.AsyncClient) -> None:
    held = await _holds_of(client, "FEES-2")
    url = f"/holds/holds/{held['phyto']['hold_id']}/fee-estimate"
    full: dict[str, str | int] = {"check": "full", "minutes": 45, "start": SATURDAY_MORNING}

    vet = await client.get(
        f"/holds/holds/{held['vet']['hold_id']}/fee-estimate", params=full, headers=PD
    )
    assert vet.status_code == 409
    assert "phyto holds only" in vet.json()["detail"]
    assert (
        await client.get("/holds/holds/nosuchhold/fee-estimate", params=full, headers=PD)
    ).status_code == 404
    assert (await client.get(url, params=full)).status_code == 401
    assert (
        await client.get(url, params=full, headers=bearer("terminal:ECTDELTA"))
    ).status_code == 403

    no_minutes = await client.get(
        url, params={"check": "full", "start": SATURDAY_MORNING}, headers=PD
    )
    assert no_minutes.status_code == 422
    [error] = no_minutes.json()["errors"]
    assert (error["field"], error["rule"]) == ("minutes", "required_for_full_check")

    naive = await client.get(url, params={**full, "start": "2026-12-12T09:30:00"}, headers=PD)
    assert naive.status_code == 422
    assert "start" in naive.text
    for field, value in (("check", "partial"), ("minutes", "0"), ("percentage", "100")):
        bad = await client.get(url, params={**full, field: value}, headers=PD)
        assert bad.status_code == 422, (field, bad.text)
        assert field in bad.text
