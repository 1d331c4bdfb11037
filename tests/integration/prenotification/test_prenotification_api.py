"""The pre-notification service through its API on a real PostgreSQL (in-process transport):
roles, written entries, validation and rejections, versions and lifecycle, queries, feeds and
reduced-check certificates."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from infra import bearer, eventually
from sqlalchemy import select

from pnm.cli.services import ALL
from pnm.prenotification.adapters.tables import messaging
from pnm.shared.contracts.records import (
    ChedType,
    Control,
    Mode,
    Party,
    PreNotificationStatus,
)
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, prenotification

VGC = bearer("feed:vgc")
CLIENT_IMPORT = bearer("feed:client-import")
CUSTOMS = bearer("customs-prearrival")
PD = bearer("pd-inspector", subject="inspector.pd.jansen")
NVWA = bearer("nvwa-inspector", subject="inspector.nvwa.de-vries")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def service(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient, Clock]]:
    monkeypatch.setenv("PNM_PRENOTIFICATION_CERTIFICATE_SCAN_SECONDS", "0.2")
    clock = Clock()
    async with Pipeline(
        [ALL["prenotification"]], database_url=database_url, transport="inprocess", clock=clock
    ) as pipeline:
        transport = httpx.ASGITransport(app=pipeline.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://pnm/prenotification"
        ) as client:
            yield pipeline, client, clock


def beef(reference: str = "CHEDP.NL.2026.0000001", **changes: Any) -> dict[str, Any]:
    record = prenotification(
        reference,
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[container(11)],
    )
    return record.model_copy(update=changes).model_dump(mode="json")


def grapes(reference: str = "CHEDPP.NL.2026.0000001", **changes: Any) -> dict[str, Any]:
    record = prenotification(
        reference,
        ched_type=ChedType.CHED_PP,
        cn_code="080610",
        description="grapes",
        containers=[container(12)],
    )
    return record.model_copy(update=changes).model_dump(mode="json")


async def events(pipeline: Pipeline) -> list[dict[str, Any]]:
    async with pipeline.engine.connect() as conn:
        rows = await conn.execute(
            select(messaging.outbox.c.payload).order_by(messaging.outbox.c.id)
        )
        return [json.loads(r) for r in rows.scalars()]


async def test_tokens_and_roles(service: tuple[Pipeline, httpx.AsyncClient, Clock]) -> None:
    _, client, _ = service
    response = await client.post("/prenotifications", json=beef())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "missing Authorization header" in response.json()["detail"]

    response = await client.post(
        "/prenotifications", json=beef(), headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401

    response = await client.post("/prenotifications", json=beef(), headers=CLIENT_IMPORT)
    assert response.status_code == 403
    assert "role feed:vgc required" in response.json()["detail"]

    assert (await client.post("/prenotifications", json=beef(), headers=VGC)).status_code == 201
    assert (await client.get("/prenotifications", headers=VGC)).status_code == 403
    assert (await client.get("/prenotifications", headers=CUSTOMS)).status_code == 200


async def test_written_entries_by_their_own_authority(
    service: tuple[Pipeline, httpx.AsyncClient, Clock],
) -> None:
    pipeline, client, _ = service
    fax = grapes(system="written")
    response = await client.post("/written", json=fax, headers=NVWA)
    assert response.status_code == 403
    assert "only role pd-inspector enters CHED-PP" in response.json()["detail"]
    assert (await client.post("/written", json=fax, headers=VGC)).status_code == 403
    assert (
        await client.post("/prenotifications", json=fax, headers=CLIENT_IMPORT)
    ).status_code == 403

    response = await client.post("/written", json=fax, headers=PD)
    assert response.status_code == 201, response.text
    stored = (await client.get("/prenotifications/CHEDPP.NL.2026.0000001", headers=CUSTOMS)).json()
    assert stored["system"] == "written"
    assert stored["entered_by"] == "inspector.pd.jansen"
    versions = (
        await client.get("/prenotifications/CHEDPP.NL.2026.0000001/versions", headers=CUSTOMS)
    ).json()
    assert [(v["version"], v["channel"], v["entered_by"]) for v in versions] == [
        (1, "written", "inspector.pd.jansen")
    ]
    assert (
        await client.post("/written", json=beef(system="written"), headers=NVWA)
    ).status_code == 201
    assert [e["type"] for e in await events(pipeline)] == ["nl.pnm.prenotification.submitted"] * 2


async def test_invalid_records_are_refused_specifically_kept_and_can_be_resubmitted(
    service: tuple[Pipeline, httpx.AsyncClient, Clock],
) -> None:
    pipeline, client, _ = service
    wrong = grapes(cn_code="x")
    wrong["commodities"][0]["cn_code"] = "0201"  # beef notified as a plant consignment
    response = await client.post("/prenotifications", json=wrong, headers=CLIENT_IMPORT)
    assert response.status_code == 422
    body = response.json()
    [issue] = body["issues"]
    assert issue["field"] == "commodities.0.cn_code"
    assert issue["value"] == "0201"
    assert issue["rule"] == "commodity.cn_code"
    assert "CHED-P" in issue["message"]

    unknown = beef(bcp="NLXXX")
    response = await client.post("/prenotifications", json=unknown, headers=VGC)
    assert response.status_code == 422
    assert response.json()["issues"][0]["rule"] == "bcp.unknown"

    missing = beef()
    del missing["importer"]
    response = await client.post("/prenotifications", json=missing, headers=VGC)
    assert response.status_code == 422
    assert response.json()["issues"][0] == {
        "field": "importer",
        "value": None,
        "rule": "schema.missing",
        "message": "Field required",
        "severity": "error",
    }

    listed = (await client.get("/rejections", headers=CUSTOMS)).json()
    assert [r["reasons"][0]["rule"] for r in listed] == [
        "commodity.cn_code",
        "bcp.unknown",
        "schema.missing",
    ]
    assert listed[0]["payload"]["commodities"][0]["cn_code"] == "0201"

    fixed = grapes()
    response = await client.post(
        f"/rejections/{listed[0]['id']}/resubmit", json=fixed, headers=CLIENT_IMPORT
    )
    assert response.status_code == 201, response.text
    still_open = (await client.get("/rejections", headers=CUSTOMS)).json()
    assert [r["id"] for r in still_open] == [listed[1]["id"], listed[2]["id"]]
    closed = (await client.get(f"/rejections/{listed[0]['id']}", headers=CUSTOMS)).json()
    assert closed["resubmitted_as"] == "CHEDPP.NL.2026.0000001"
    response = await client.post(
        f"/rejections/{listed[0]['id']}/resubmit", json=fixed, headers=CLIENT_IMPORT
    )
    assert response.status_code == 409
    assert len(await events(pipeline)) == 1


async def test_versions_and_lifecycle(service: tuple[Pipeline, httpx.AsyncClient, Clock]) -> None:
    pipeline, client, _ = service
    messy = beef(reference="chedp nl 2026 42", containers=["csqu 305438-3", "CSQU3054384"])
    response = await client.post("/prenotifications", json=messy, headers=VGC)
    assert response.status_code == 201, response.text
    assert response.json()["reference"] == "CHEDP.NL.2026.0000042"
    assert [i["rule"] for i in response.json()["issues"]] == [
        "container.check_digit"
    ]  # kept, flagged
    stored = (await client.get("/prenotifications/CHEDP-NL-2026-0000042", headers=CUSTOMS)).json()
    assert stored["raw_reference"] == "chedp nl 2026 42"
    assert stored["flags"][0]["value"] == "CSQU3054384"
    assert stored["lead_time"]["on_time"] is True

    ref = "CHEDP.NL.2026.0000042"
    assert (await client.post("/prenotifications", json=beef(ref, version=2), headers=VGC)).json()[
        "outcome"
    ] == "amended"
    old = await client.post("/prenotifications", json=beef(ref, version=1), headers=VGC)
    assert (old.status_code, old.json()["outcome"]) == (200, "ignored")
    validated = await client.post(
        "/prenotifications",
        json=beef(ref, version=3, status=PreNotificationStatus.VALIDATED),
        headers=VGC,
    )
    assert validated.json()["outcome"] == "amended"
    cancelled = await client.post(
        "/prenotifications",
        json=beef(ref, version=4, status=PreNotificationStatus.CANCELLED),
        headers=VGC,
    )
    assert cancelled.status_code == 200
    revived = await client.post(
        "/prenotifications",
        json=beef(ref, version=5, status=PreNotificationStatus.VALIDATED),
        headers=VGC,
    )
    assert revived.status_code == 409
    assert "cannot go from cancelled to validated" in revived.json()["detail"]
    assert [e["type"].rsplit(".", 1)[1] for e in await events(pipeline)] == [
        "submitted",
        "amended",
        "status-changed",
        "cancelled",
    ]
    versions = (await client.get(f"/prenotifications/{ref}/versions", headers=CUSTOMS)).json()
    assert [v["version"] for v in versions] == [1, 2, 3, 4]


async def test_queries(service: tuple[Pipeline, httpx.AsyncClient, Clock]) -> None:
    _, client, clock = service
    base = clock.now + timedelta(days=2)
    for n in range(5):
        record = beef(
            f"CHEDP.NL.2026.{n:07d}",
            containers=[container(100 + n)],
            transport_document=f"MAEU00000{n}",
            expected_arrival=base + timedelta(hours=n),
            submitted_at=clock.now - timedelta(hours=1),
            importer=Party(
                name="Van der Berg Import B.V." if n % 2 else "Frigo Holland", country="NL"
            ),
        )
        assert (await client.post("/prenotifications", json=record, headers=VGC)).status_code == 201

    async def refs(**params: Any) -> list[str]:
        response = await client.get("/prenotifications", params=params, headers=CUSTOMS)
        assert response.status_code == 200, response.text
        return [r["reference"][-1] for r in response.json()]

    assert await refs() == ["0", "1", "2", "3", "4"]
    assert await refs(container=container(102).lower()) == ["2"]
    assert await refs(transport_document="maeu-00000 3") == ["3"]
    assert await refs(importer="berg") == ["1", "3"]
    assert await refs(bcp="nlrtm", limit=2, offset=2) == ["2", "3"]
    window = {
        "arrival_from": (base + timedelta(hours=1)).isoformat(),
        "arrival_to": (base + timedelta(hours=3)).isoformat(),
    }
    assert await refs(**window) == ["1", "2"]
    assert await refs(reference="chedp.nl.2026.4") == ["4"]
    assert (
        await client.get("/prenotifications/CHEDP.NL.2026.9999999", headers=CUSTOMS)
    ).status_code == 404
    assert (await client.get("/prenotifications/garbage", headers=CUSTOMS)).status_code == 404


async def test_feed_health_and_emergency_procedures(
    service: tuple[Pipeline, httpx.AsyncClient, Clock],
) -> None:
    pipeline, client, _ = service
    assert (await client.post("/feeds/vgc/heartbeat", headers=CLIENT_IMPORT)).status_code == 403
    response = await client.post("/feeds/vgc/heartbeat", headers=VGC)
    assert response.status_code == 200
    assert response.json()["last_heartbeat_at"] is not None

    start = {"action": "start", "note": "Client Import down since 06:10, fax to PD"}
    assert (
        await client.post("/feeds/client-import/emergency", json=start, headers=NVWA)
    ).status_code == 403
    response = await client.post("/feeds/client-import/emergency", json=start, headers=PD)
    assert response.status_code == 200, response.text
    assert response.json()["emergency_declared_by"] == "inspector.pd.jansen"
    again = await client.post("/feeds/client-import/emergency", json=start, headers=PD)
    assert again.status_code == 409
    feeds = {f["system"]: f for f in (await client.get("/feeds", headers=CUSTOMS)).json()}
    assert feeds["client-import"]["emergency"] is True
    assert feeds["vgc"]["emergency"] is False
    ended = await client.post("/feeds/client-import/emergency", json={"action": "end"}, headers=PD)
    assert ended.status_code == 200 and ended.json()["emergency"] is False
    assert [e["type"].rsplit(".", 1)[1] for e in await events(pipeline)] == [
        "heartbeat",
        "emergency-started",
        "emergency-ended",
    ]


async def test_reduced_check_certificate_overdue_is_published_once(
    service: tuple[Pipeline, httpx.AsyncClient, Clock],
) -> None:
    pipeline, client, clock = service
    arrival = clock.now + timedelta(days=1)
    reduced = Control(regime="reduced")
    late = grapes("CHEDPP.NL.2026.0000007", control=reduced, expected_arrival=arrival)
    timely = grapes(
        "CHEDPP.NL.2026.0000008",
        control=reduced,
        expected_arrival=arrival,
        containers=[container(13)],
    )
    for record in (late, timely):
        assert (
            await client.post("/prenotifications", json=record, headers=CLIENT_IMPORT)
        ).status_code == 201
    response = await client.post(
        "/prenotifications/CHEDPP.NL.2026.0000008/certificate", json={}, headers=PD
    )
    assert response.status_code == 200
    assert response.json()["late"] is False
    assert (
        await client.post(
            "/prenotifications/CHEDPP.NL.2026.0000008/certificate", json={}, headers=VGC
        )
    ).status_code == 403

    clock.now = arrival + timedelta(hours=49)  # past the 48 hours

    async def overdue() -> list[dict[str, Any]]:
        return [e for e in await events(pipeline) if e["type"].endswith("certificate.overdue")]

    [finding] = await eventually(overdue, timeout=20)
    assert finding["data"]["reference"] == "CHEDPP.NL.2026.0000007"
    clock.now += timedelta(hours=1)
    await pipeline.services["prenotification"].relay.pending()
    assert len(await overdue()) == 1


async def test_lead_time_is_recorded(service: tuple[Pipeline, httpx.AsyncClient, Clock]) -> None:
    _, client, clock = service
    arrival = clock.now + timedelta(hours=3)
    record = beef(expected_arrival=arrival, submitted_at=clock.now - timedelta(minutes=1))
    response = await client.post("/prenotifications", json=record, headers=VGC)
    assert response.status_code == 201
    stored = (await client.get("/prenotifications/CHEDP.NL.2026.0000001", headers=CUSTOMS)).json()
    assert stored["lead_time"]["on_time"] is False
    assert stored["lead_time"]["rule"] == "one_working_day"


async def test_bcp_by_traces_code_alias_and_mode(
    service: tuple[Pipeline, httpx.AsyncClient, Clock],
) -> None:
    """Issue 16: one BCP table, by code and mode. Live animals notified at NLAMS by air enter at
    Schiphol, which has four hours' notice; an unknown code is refused naming field, value and
    rule."""
    _, client, clock = service
    arrival = clock.now + timedelta(hours=6)
    notified_as = [("NLAMS", Mode.AIR), ("NLAMS4", None), ("AMS", Mode.AIR)]
    for n, (bcp, mode) in enumerate(notified_as, 1):
        record = beef(f"CHEDA.NL.2026.000000{n}", bcp=bcp, mode=mode, expected_arrival=arrival)
        record.update(ched_type="CHED-A", submitted_at=clock.now.isoformat())
        record["commodities"][0].update(cn_code="010619", description="live birds")
        response = await client.post("/prenotifications", json=record, headers=VGC)
        assert response.status_code == 201, (bcp, response.text)
        stored = await client.get(f"/prenotifications/CHEDA.NL.2026.000000{n}", headers=CUSTOMS)
        lead_time = stored.json()["lead_time"]
        assert (lead_time["rule"], lead_time["bcp"], lead_time["bcp_table"]) == (
            "derogation_hours",
            "NLAMS4",
            "v1",
        ), bcp
    unknown = beef(bcp="NLAMS2", mode=Mode.AIR)
    response = await client.post("/prenotifications", json=unknown, headers=VGC)
    assert response.status_code == 422
    [issue] = response.json()["issues"]
    assert (issue["field"], issue["value"], issue["rule"]) == ("bcp", "NLAMS2", "bcp.unknown")
    assert "BCP table v1" in issue["message"]
