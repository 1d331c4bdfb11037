"""Manifest ingest on real PostgreSQL and Kafka: a large manifest stored and published exactly
once, amendments publish exactly what changed, versions out of order end on the newest, bad
lines are kept aside with their reasons and can be re-submitted."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from infra import Broker, bearer, read_topic
from intake_client import (
    dropped_results,
    hosted,
    manifest_csv,
    manifest_csv_rows,
    post_batch,
    post_file,
    relayed,
    watched_directory,
)

from pnm.shared.contracts.records import GoodsItem, ManifestLine
from pnm.shared.contracts.topics import MANIFEST_LINES
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line

MANIFEST_INGEST = "http://pnm/manifest-ingest"
DMF = bearer("feed:dmf")
OFFICER = bearer("customs-prearrival")
HEADER = {
    "manifest_id": "EMMA-248W",
    "mode": "sea",
    "vessel_imo": "9321483",
    "vessel_name": "EMMA MAERSK",
    "port_of_discharge": "NLRTM",
    "terminal": "ECTDELTA",
}


@pytest.fixture
async def service(
    database_url: str, kafka: Broker, topic_prefix: str
) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    async with hosted(
        ["manifest-ingest"], database_url, kafka, topic_prefix, MANIFEST_INGEST, timeout=300
    ) as hosting:
        yield hosting


def line(n: int, manifest: str = "EMMA-248W", **changes: Any) -> ManifestLine:
    base = manifest_line(
        manifest,
        str(n),
        hs_code="020230",
        description="Frozen beef",
        containers=[container(300_000 + n)],
    )
    return base.model_copy(update=changes)


def line_body(record: ManifestLine) -> dict[str, Any]:
    """What DMF sends for one line of a manifest whose header travels separately."""
    body = record.model_dump(mode="json", exclude_none=True)
    for field in HEADER:
        if field != "manifest_id":
            body.pop(field, None)
    return body


async def events(kafka: Broker, topic_prefix: str, expect: int) -> list[dict[str, Any]]:
    records = await read_topic(
        kafka.bootstrap, topic_prefix + MANIFEST_LINES.name, expect=expect, timeout=60
    )
    return [json.loads(r.value) for r in records]


async def test_a_10000_line_manifest_is_stored_and_published_exactly_once(
    service: tuple[Pipeline, httpx.AsyncClient], kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    body = {"header": HEADER, "lines": [line_body(line(n)) for n in range(10_000)]}
    response = await client.post("/manifests", json=body, headers=DMF)
    assert response.status_code == 202, response.text[:2000]
    assert (response.json()["declared"], response.json()["rejected"]) == (10_000, 0)
    await relayed(pipeline, "manifest-ingest", timeout=60)
    published = await events(kafka, topic_prefix, 10_000)
    assert len(published) == 10_000 == len({e["subject"] for e in published})
    assert published[0]["data"]["vessel_name"] == "EMMA MAERSK"  # the header reached every line

    again = (await client.post("/manifests", json=body, headers=DMF)).json()
    assert (again["declared"], again["ignored"]) == (0, 10_000)
    await relayed(pipeline, "manifest-ingest", timeout=60)
    assert len(await events(kafka, topic_prefix, 10_000)) == 10_000, (
        "the same manifest again publishes nothing"
    )
    stored = (
        await client.get("/manifests/EMMA-248W", params={"limit": 20_000}, headers=OFFICER)
    ).json()
    assert len(stored) == 10_000


async def test_an_amendment_publishes_exactly_what_changed(
    service: tuple[Pipeline, httpx.AsyncClient], kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    first = [line(n, "AMEND-1") for n in range(5)]
    assert (await post_batch(client, "/lines", "lines", first, DMF)).status_code == 202

    amended = [
        first[0].model_copy(update={"version": 2, "containers": [container(399_000)]}),
        first[1].model_copy(
            update={
                "version": 2,
                "goods": [
                    GoodsItem(
                        item=1, hs_code="080610", description="Table grapes", gross_mass_kg=9_000
                    )
                ],
            }
        ),
        first[2].model_copy(update={"version": 2, "withdrawn": True}),
        first[3],  # unchanged and re-sent
        first[4],
    ]
    response = await post_batch(client, "/lines", "lines", amended, DMF)
    summary = response.json()
    assert (summary["amended"], summary["withdrawn"], summary["ignored"]) == (2, 1, 2)
    await relayed(pipeline, "manifest-ingest", timeout=30)
    published = await events(kafka, topic_prefix, 8)
    kinds = sorted((e["subject"], e["type"].rsplit(".", 1)[1]) for e in published)
    assert kinds == sorted(
        [(f"AMEND-1/{n}", "declared") for n in range(5)]
        + [("AMEND-1/0", "amended"), ("AMEND-1/1", "amended"), ("AMEND-1/2", "withdrawn")]
    )

    history = (await client.get("/manifests/AMEND-1/lines/1/history", headers=OFFICER)).json()
    assert [h["version"] for h in history] == [1, 2]
    assert history[0]["changes"] == []
    changed = {c["field"] for c in history[1]["changes"]}
    assert {"goods.0.hs_code", "goods.0.description"} <= changed
    assert history[1]["message"] == "test"  # the caller that sent it


async def test_versions_out_of_order_end_on_the_newest(
    service: tuple[Pipeline, httpx.AsyncClient], kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    versions = {v: line(1, "ORDER-1", version=v, voyage=f"V{v}") for v in (1, 2, 3)}
    for v in (3, 1, 2):
        assert (await post_batch(client, "/lines", "lines", [versions[v]], DMF)).status_code == 202
    batch = [line(2, "ORDER-1", version=v, voyage=f"V{v}") for v in (2, 3, 1)]
    assert (await post_batch(client, "/lines", "lines", batch, DMF)).status_code == 202
    for line_id in ("1", "2"):
        stored = (await client.get(f"/manifests/ORDER-1/lines/{line_id}", headers=OFFICER)).json()
        assert (stored["version"], stored["record"]["voyage"]) == (3, "V3")
    await relayed(pipeline, "manifest-ingest", timeout=30)
    published = await events(kafka, topic_prefix, 2)
    assert sorted((e["subject"], e["data"]["version"]) for e in published) == [
        ("ORDER-1/1", 3),
        ("ORDER-1/2", 3),
    ]


async def test_bad_lines_are_kept_aside_and_can_be_resubmitted(
    service: tuple[Pipeline, httpx.AsyncClient],
) -> None:
    _, client = service
    good = [line_body(line(n, "PARTIAL-1")) for n in range(4)]
    no_goods = dict(good[1], line_id="bad-1")
    no_goods["goods"] = []
    bad_code = json.loads(json.dumps(dict(good[2], line_id="bad-2")))
    bad_code["goods"][0]["hs_code"] = "02"
    typo = dict(good[3], containers=["MSKU 907032-4"])  # check digit fails: kept, flagged
    body = {
        "header": {**HEADER, "manifest_id": "PARTIAL-1"},
        "lines": [good[0], no_goods, bad_code, typo, "garbage"],
    }
    response = await client.post("/manifests", json=body, headers=DMF)
    assert response.status_code == 202
    summary = response.json()
    assert (summary["declared"], summary["rejected"]) == (2, 3)
    by_row = {r["row_number"]: r for r in summary["results"]}
    assert by_row[1]["issues"][0]["field"] == "goods"
    assert by_row[2]["issues"][0]["field"] == "goods.0.hs_code"
    assert by_row[2]["issues"][0]["value"] == "02"
    assert [i["rule"] for i in by_row[3]["issues"]] == ["container.check_digit"]
    assert by_row[3]["outcome"] == "declared"
    stored = (await client.get("/manifests/PARTIAL-1/lines/3", headers=OFFICER)).json()
    assert stored["record"]["containers"] == ["MSKU9070324"]
    assert stored["raw"] == {"containers.0": "MSKU 907032-4"}

    listed = (await client.get("/rejections", headers=OFFICER)).json()
    assert [(r["subject"], r["row_number"]) for r in listed] == [
        ("PARTIAL-1/bad-1", 1),
        ("PARTIAL-1/bad-2", 2),
        (None, 4),
    ]
    fixed = listed[1]["payload"]  # the line as it was received, header values included
    fixed["goods"][0]["hs_code"] = "0202"
    response = await client.post(f"/rejections/{listed[1]['id']}/resubmit", json=fixed, headers=DMF)
    assert response.status_code == 200, response.text
    assert response.json()["declared"] == 1
    assert [r["id"] for r in (await client.get("/rejections", headers=OFFICER)).json()] == [
        listed[0]["id"],
        listed[2]["id"],
    ]
    feeds = (await client.get("/feeds", headers=OFFICER)).json()
    assert feeds[0]["source"] == "dmf" and feeds[0]["last_message_at"] is not None


async def test_manifest_files_by_upload_and_drop_directory_are_taken_in_once(
    database_url: str,
    kafka: Broker,
    topic_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drop = watched_directory(tmp_path, "PNM_MANIFEST_INGEST", monkeypatch)
    lines = [line(n, "FILE-1") for n in range(6)]
    two_items = lines[5].model_copy(
        update={
            "goods": [
                *lines[5].goods,
                GoodsItem(item=2, hs_code="080610", description="grapes", gross_mass_kg=500),
            ]
        }
    )
    rows = [row for record in [*lines[:5], two_items] for row in manifest_csv_rows(record)]
    content = manifest_csv(rows) + "FILE-1,bad,1,false,sea\n"
    hosting = hosted(["manifest-ingest"], database_url, kafka, topic_prefix, MANIFEST_INGEST)
    async with hosting as (pipeline, client):
        response = await post_file(client, "/files", "dmf.csv", content, DMF)
        assert response.status_code == 200, response.text
        result = response.json()
        assert (
            result["duplicate"],
            result["records"],
            result["declared"],
            result["rejected"],
        ) == (False, 7, 6, 1)
        stored = (await client.get("/manifests/FILE-1/lines/5", headers=OFFICER)).json()
        assert [g["hs_code"] for g in stored["record"]["goods"]] == ["020230", "080610"]

        (drop / "again.csv").write_text(content)
        jsonl = "".join(
            json.dumps(r.model_dump(mode="json")) + "\n"
            for r in [line(n, "FILE-2") for n in range(3)]
        )
        (drop / "more.jsonl").write_text(jsonl + "{broken\n")

        results = await dropped_results(drop, 2, timeout=30)
        assert results["again.csv.result.json"]["duplicate"] is True
        assert (
            results["more.jsonl.result.json"]["declared"],
            results["more.jsonl.result.json"]["rejected"],
        ) == (3, 1)
        await relayed(pipeline, "manifest-ingest", timeout=30)
    published = await events(kafka, topic_prefix, 9)
    assert len(published) == 9  # 6 + 3 lines, the duplicate file published nothing


async def test_eta_updates_queries_and_feed_health(
    service: tuple[Pipeline, httpx.AsyncClient], kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    lines = [line(n, "ETA-1") for n in range(3)]
    lines.append(line(9, "ETA-1", withdrawn=True))
    assert (await post_batch(client, "/lines", "lines", lines, DMF)).status_code == 202
    later = (lines[0].eta + timedelta(hours=30)).isoformat()
    one = {"manifest_id": "ETA-1", "eta": later, "containers": [container(300_001).lower()]}
    assert (await client.post("/eta", json=one, headers=DMF)).json()["lines"] == 1
    whole = {"manifest_id": "ETA-1", "eta": later}
    assert (await client.post("/eta", json=whole, headers=DMF)).json()[
        "lines"
    ] == 3  # not the withdrawn

    async def found(**params: Any) -> list[str]:
        response = await client.get("/lines", params=params, headers=OFFICER)
        assert response.status_code == 200, response.text
        return [r["line_id"] for r in response.json()]

    assert await found(eta_from=later, withdrawn=False) == ["0", "1", "2"]
    assert await found(container=container(300_002)) == ["2"]
    assert await found(transport_document=lines[1].transport_document.number.lower()) == ["1"]
    assert await found(vessel_imo="9321483", withdrawn=False, limit=2, offset=1) == ["1", "2"]
    assert await found(withdrawn=True) == ["9"]

    await relayed(pipeline, "manifest-ingest", timeout=30)
    eta = await read_topic(kafka.bootstrap, topic_prefix + "manifest.eta.v1", expect=2)
    assert [json.loads(r.value)["data"]["containers"] for r in eta] == [
        [container(300_001).lower()],
        None,
    ]
    health = await read_topic(
        kafka.bootstrap, topic_prefix + "manifest.feeds.v1", expect=1, timeout=5
    )
    assert len(health) == 1  # once a minute at most, however many messages came
    assert json.loads(health[0].value)["data"]["system"] == "dmf"
