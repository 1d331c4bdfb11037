"""Who may act on a feed's input (real PostgreSQL, in-process transport): a refused record is
corrected only by the system it came from, and a file's hash is claimed only for a caller
allowed to send it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from infra import bearer

from pnm.cli.services import ALL
from pnm.shared.contracts.records import ChedType, PreNotification
from pnm.shared.runtime import Pipeline
from pnm.testing.files import prenotification_csv
from pnm.testing.records import container, prenotification

VGC = bearer("feed:vgc")
CLIENT_IMPORT = bearer("feed:client-import")
CUSTOMS = bearer("customs-prearrival")


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        Pipeline(
            [ALL["prenotification"]], database_url=database_url, transport="inprocess"
        ) as pipeline,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app),
            base_url="http://pnm/prenotification",
        ) as client,
    ):
        yield client


def beef(reference: str = "CHEDP.NL.2026.0000007") -> PreNotification:
    """A VGC record."""
    return prenotification(
        reference,
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[container(21)],
    )


def grapes(reference: str = "CHEDPP.NL.2026.0000007") -> PreNotification:
    """A Client Import record."""
    return prenotification(
        reference,
        ched_type=ChedType.CHED_PP,
        cn_code="080610",
        description="grapes",
        containers=[container(22)],
    )


async def refused_vgc_record(client: httpx.AsyncClient) -> dict[str, Any]:
    wrong = beef().model_dump(mode="json") | {"bcp": "NLXXX"}
    response = await client.post("/prenotifications", json=wrong, headers=VGC)
    assert response.status_code == 422
    rejection = await client.get(f"/rejections/{response.json()['rejection_id']}", headers=CUSTOMS)
    return dict(rejection.json())


async def test_another_feed_cannot_close_a_rejection_with_its_own_record(
    client: httpx.AsyncClient,
) -> None:
    rejection = await refused_vgc_record(client)
    url = f"/rejections/{rejection['id']}/resubmit"
    unrelated = grapes().model_dump(mode="json")
    response = await client.post(url, json=unrelated, headers=CLIENT_IMPORT)
    assert response.status_code == 403
    assert "feed:vgc, admin required" in response.json()["detail"]
    assert (await client.get(f"/rejections/{rejection['id']}", headers=CUSTOMS)).json()[
        "resubmitted_at"
    ] is None
    assert (await client.get("/prenotifications", headers=CUSTOMS)).json() == []

    response = await client.post(url, json=beef().model_dump(mode="json"), headers=VGC)
    assert response.status_code == 201, response.text
    closed = (await client.get(f"/rejections/{rejection['id']}", headers=CUSTOMS)).json()
    assert closed["resubmitted_as"] == "CHEDP.NL.2026.0000007"


async def test_a_feed_with_two_roles_corrects_with_a_record_of_the_same_system(
    client: httpx.AsyncClient,
) -> None:
    rejection = await refused_vgc_record(client)
    both = bearer("feed:vgc", "feed:client-import")
    url = f"/rejections/{rejection['id']}/resubmit"
    response = await client.post(url, json=grapes().model_dump(mode="json"), headers=both)
    assert response.status_code == 403
    assert "must be one" in response.json()["detail"]
    assert (await client.get(f"/rejections/{rejection['id']}", headers=CUSTOMS)).json()[
        "resubmitted_at"
    ] is None


async def test_a_rejection_naming_no_system_is_corrected_only_by_an_admin(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/prenotifications", json={"junk": 1}, headers=VGC)
    assert response.status_code == 422
    url = f"/rejections/{response.json()['rejection_id']}/resubmit"
    record = beef().model_dump(mode="json")
    assert (await client.post(url, json=record, headers=VGC)).status_code == 403
    assert (await client.post(url, json=record, headers=bearer("admin"))).status_code == 201


async def test_a_refused_upload_does_not_claim_the_file(client: httpx.AsyncClient) -> None:
    content = prenotification_csv([beef()]).encode()
    upload = {"file": ("vgc-export.csv", content, "text/csv")}
    for intruder in (bearer("terminal:ECTDELTA"), bearer("feed:dmf")):
        response = await client.post("/files", files=upload, headers=intruder)
        assert response.status_code == 403
    response = await client.post("/files", files=upload, headers=VGC)
    assert response.status_code == 200, response.text
    assert response.json()["duplicate"] is False
    assert response.json()["created"] == 1
