"""Hostile and broken input refused at the edge (docs/limits.md), on real PostgreSQL and Kafka:
a 4xx naming field, value and rule, never a 5xx; a bad record refuses only itself; what the
response says and the rejection kept agree."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import intake_client as intake
import pytest
from infra import Broker, bearer, read_topic
from sqlalchemy.ext.asyncio import create_async_engine

from pnm.shared.contracts.records import ChedType, ManifestLine
from pnm.shared.contracts.topics import MANIFEST_LINES, PRENOTIFICATIONS
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line, prenotification

DMF = bearer("feed:dmf")
FEEDS = bearer("feed:vgc", "feed:client-import")
OFFICER = bearer("customs-prearrival")


@pytest.fixture
async def service(
    database_url: str, kafka: Broker, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    monkeypatch.setenv("PNM_HTTP_MAX_BODY_BYTES", str(2 * 2**20))
    services = ["manifest-ingest", "prenotification"]
    async with intake.hosted(services, database_url, kafka, topic_prefix, timeout=120) as hosting:
        yield hosting


@pytest.fixture
def client(service: tuple[Pipeline, httpx.AsyncClient]) -> httpx.AsyncClient:
    return service[1]


def line(n: int, manifest: str = "EDGE-1") -> ManifestLine:
    return manifest_line(
        manifest, str(n), hs_code="020230", description="beef", containers=[container(n)]
    )


def notification(n: int) -> dict[str, Any]:
    return prenotification(
        f"CHEDP.NL.2026.{n:07d}",
        ched_type=ChedType.CHED_P,
        cn_code="0202",
        description="Frozen beef",
        containers=[container(n)],
    ).model_dump(mode="json")


async def rejections(client: httpx.AsyncClient, service: str) -> list[dict[str, Any]]:
    response = await client.get(f"/{service}/rejections", headers=OFFICER)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


async def test_implausible_and_oversized_manifest_lines_are_refused_the_good_one_declared(
    client: httpx.AsyncClient,
) -> None:
    bad: list[tuple[dict[str, Any], str, str]] = []
    for n, (field, value, rule) in enumerate(
        [
            ("eta", "0001-01-01T00:00:00+00:00", "eta.outside_window"),
            ("eta", "9999-12-31T00:00:00+00:00", "eta.outside_window"),
            ("eta", "0001-01-01T00:00:00+14:00", "schema.datetime_out_of_range"),
            ("consignee", {"name": "C" * 3000, "country": "NL"}, "schema.string_too_long"),
            ("containers", ["C" * 3000], "schema.string_too_long"),
            ("line_id", "L" * 3000, "schema.string_too_long"),
            ("line_id", "a/b", "schema.string_pattern_mismatch"),
        ],
        start=1,
    ):
        body = line(n).model_dump(mode="json")
        body[field] = value
        bad.append((body, field, rule))
    good = line(100)
    response = await intake.post_batch(
        client, "/manifest-ingest/lines", "lines", [good, *(b for b, _, _ in bad)], DMF
    )
    assert response.status_code == 202, response.text
    summary = response.json()
    assert (summary["declared"], summary["rejected"]) == (1, len(bad))
    by_row = {r["row_number"]: r for r in summary["results"]}
    for row, (_, field, rule) in enumerate(bad, start=1):
        [issue] = by_row[row]["issues"]
        assert (issue["field"].split(".")[0], issue["rule"]) == (field, rule)
        assert issue["value"] is None or len(issue["value"]) <= 200
    kept = await rejections(client, "manifest-ingest")
    assert [r["reasons"] for r in kept] == [by_row[row]["issues"] for row in range(1, 8)]
    fetched = await client.get("/manifest-ingest/manifests/EDGE-1/lines/100", headers=OFFICER)
    assert fetched.status_code == 200


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_a_number_that_is_not_finite_is_a_422_and_kept(
    client: httpx.AsyncClient, number: str
) -> None:
    text = json.dumps(notification(1)).replace('"net_mass_kg": 16500.0', f'"net_mass_kg": {number}')
    assert number in text
    response = await client.post(
        "/prenotification/prenotifications",
        content=text,
        headers={**FEEDS, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    [issue] = response.json()["issues"]
    assert (issue["field"], issue["rule"]) == ("commodities.0.net_mass_kg", "schema.finite_number")
    [kept] = await rejections(client, "prenotification")
    assert kept["id"] == response.json()["rejection_id"]
    assert kept["reasons"][0]["rule"] == "schema.finite_number"


async def test_one_non_finite_record_in_a_bulk_request_refuses_only_itself(
    client: httpx.AsyncClient,
) -> None:
    records = [notification(n) for n in range(1, 4)]
    text = json.dumps({"records": records})
    text = text.replace('"net_mass_kg": 16500.0', '"net_mass_kg": Infinity', 1)
    response = await client.post(
        "/prenotification/prenotifications/bulk",
        content=text,
        headers={**FEEDS, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["rejected"]) == (2, 1)


async def test_json_sent_as_text_is_a_415(client: httpx.AsyncClient) -> None:
    for path in ("/prenotification/prenotifications", "/manifest-ingest/lines"):
        response = await client.post(
            path,
            content=json.dumps(notification(1)),
            headers={**FEEDS, **DMF, "Content-Type": "text/plain"},
        )
        assert response.status_code == 415, response.text
        assert "application/json" in response.json()["detail"]
    assert await rejections(client, "prenotification") == []


async def test_json_nested_deeper_than_any_record_is_a_422(client: httpx.AsyncClient) -> None:
    for depth in (300, 100_000):
        response = await client.post(
            "/prenotification/prenotifications",
            content="[" * depth + "]" * depth,
            headers={**FEEDS, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["rule"] == "json.depth"


async def test_a_body_over_the_limit_is_a_413_naming_the_limit(client: httpx.AsyncClient) -> None:
    body = json.dumps({"records": [notification(1)] * 5000})
    assert len(body) > 2 * 2**20  # the limit set for this test
    response = await client.post(
        "/prenotification/prenotifications/bulk",
        content=body,
        headers={**FEEDS, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert str(2 * 2**20) in response.json()["detail"]


async def test_a_lone_surrogate_is_answered_and_kept_alike(client: httpx.AsyncClient) -> None:
    text = json.dumps(notification(1)).replace("Frozen beef", "Frozen \\ud800beef")
    response = await client.post(
        "/prenotification/prenotifications",
        content=text,
        headers={**FEEDS, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    answered = response.json()
    [kept] = await rejections(client, "prenotification")
    assert kept["id"] == answered["rejection_id"]
    assert kept["reasons"] == answered["issues"]
    assert "\ufffd" in answered["issues"][0]["value"]

    body = line(1).model_dump(mode="json")
    text = json.dumps({"lines": [body]}).replace('"line_id": "1"', '"line_id": "\\ud800"')
    response = await client.post(
        "/manifest-ingest/lines",
        content=text,
        headers={**DMF, "Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text
    [result] = response.json()["results"]
    [kept] = await rejections(client, "manifest-ingest")
    assert (kept["id"], kept["reasons"]) == (result["rejection_id"], result["issues"])


async def test_dates_that_cannot_be_expressed_in_utc_are_a_422(client: httpx.AsyncClient) -> None:
    record = notification(1)
    record["submitted_at"] = "0001-01-01T00:00:00+14:00"
    response = await client.post("/prenotification/prenotifications", json=record, headers=FEEDS)
    assert response.status_code == 422, response.text
    assert response.json()["issues"][0]["rule"] == "schema.datetime_out_of_range"
    response = await client.post(
        "/manifest-ingest/arrivals",
        json={"manifest_id": "EDGE-1", "arrived_at": "0001-01-01T00:00:00+14:00"},
        headers=DMF,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["rule"] == "datetime_out_of_range"


@pytest.mark.parametrize(
    ("path", "field"),
    [("/manifest-ingest/arrivals", "arrived_at"), ("/manifest-ingest/eta", "eta")],
)
@pytest.mark.parametrize("year", [1, 9999])
async def test_arrivals_and_eta_updates_outside_the_window_are_a_422(
    client: httpx.AsyncClient, path: str, field: str, year: int
) -> None:
    at = datetime(year, 6, 1, tzinfo=UTC).isoformat()
    response = await client.post(path, json={"manifest_id": "EDGE-1", field: at}, headers=DMF)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"], error["value"]) == (field, f"{field}.outside_window", at)


async def test_arrivals_inside_the_window_are_recorded(client: httpx.AsyncClient) -> None:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = await client.post(
        "/manifest-ingest/arrivals", json={"manifest_id": "EDGE-1", "arrived_at": at}, headers=DMF
    )
    assert response.status_code == 202, response.text


def csv_row(record: ManifestLine) -> dict[str, Any]:
    [row] = intake.manifest_csv_rows(record)  # the edge's lines have one goods item each
    return row


async def test_a_csv_cell_too_long_or_with_nul_refuses_only_its_row(
    client: httpx.AsyncClient,
) -> None:
    huge = csv_row(line(2)) | {"description": "x" * 200_000}
    nul = csv_row(line(3)) | {"consignee_name": "Jansen\x00"}
    also_huge = csv_row(line(4)) | {"vessel_name": "y" * 40_000}
    content = intake.manifest_csv([csv_row(line(1)), huge, nul, also_huge, csv_row(line(5))])
    response = await intake.post_file(client, "/manifest-ingest/files", "dmf.csv", content, DMF)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["declared"], result["rejected"]) == (2, 3)
    rules = {r["row_number"]: r["issues"][0]["rule"] for r in result["results"]}
    assert rules == {3: "file.unreadable_row", 4: "text.nul", 5: "file.cell_too_long"}


async def test_a_jsonl_line_nested_too_deep_refuses_only_itself(client: httpx.AsyncClient) -> None:
    content = "\n".join([json.dumps(line(1).model_dump(mode="json")), "[" * 5000 + "]" * 5000])
    response = await intake.post_file(
        client, "/manifest-ingest/files", "dmf.jsonl", content, DMF, "text/plain"
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["declared"], result["rejected"]) == (1, 1)
    assert result["results"][0]["issues"][0]["rule"] == "json.depth"


async def test_a_file_over_the_record_cap_is_refused_whole(client: httpx.AsyncClient) -> None:
    content = "\n".join("{}" for _ in range(20_001))
    response = await intake.post_file(
        client, "/manifest-ingest/files", "dmf.jsonl", content, DMF, "text/plain"
    )
    assert response.status_code == 422, response.text
    assert "20000" in response.json()["detail"]


def refuse_in_database(table: str, column: str, value: str) -> list[str]:
    """A trigger that makes PostgreSQL itself refuse one record, as it refuses a value out of
    range: a real database error caused by one record's data."""
    schema = table.split(".")[0]
    return [
        f"""CREATE FUNCTION {schema}.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.{column} = '{value}' THEN
                RAISE EXCEPTION 'numeric field overflow' USING ERRCODE = '22003';
            END IF;
            RETURN NEW;
        END $$""",
        f"""CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_poison()""",
    ]


async def published_subjects(
    pipeline: Pipeline, kafka: Broker, topic: str, service: str, expect: int
) -> set[str]:
    await intake.relayed(pipeline, service, timeout=60)
    return {r.key.decode() for r in await read_topic(kafka.bootstrap, topic, expect=expect)}


async def test_a_record_the_database_refuses_does_not_lose_the_others_of_its_bulk(
    service: tuple[Pipeline, httpx.AsyncClient], database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    poison = "CHEDP.NL.2026.0000002"
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        for statement in refuse_in_database("prenotification.prenotification", "reference", poison):
            await conn.exec_driver_sql(statement)
    await engine.dispose()
    records = [notification(n) for n in range(1, 4)]
    response = await intake.post_batch(
        client, "/prenotification/prenotifications/bulk", "records", records, FEEDS
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["created"], summary["rejected"]) == (2, 1)
    [refused] = [r for r in summary["results"] if r["outcome"] == "rejected"]
    assert (refused["reference"], refused["issues"][0]["rule"]) == (poison, "store.refused")
    [kept] = await rejections(client, "prenotification")
    assert (kept["id"], kept["reasons"]) == (refused["rejection_id"], refused["issues"])
    stored = await client.get(f"/prenotification/prenotifications/{poison}", headers=OFFICER)
    assert stored.status_code == 404
    subjects = await published_subjects(
        pipeline, kafka, topic_prefix + PRENOTIFICATIONS.name, "prenotification", 2
    )
    assert subjects == {"CHEDP.NL.2026.0000001", "CHEDP.NL.2026.0000003"}


async def test_a_line_the_database_refuses_does_not_lose_the_others_of_its_manifest(
    service: tuple[Pipeline, httpx.AsyncClient], database_url: str, kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        for statement in refuse_in_database("manifest_ingest.manifest_line", "line_id", "2"):
            await conn.exec_driver_sql(statement)
    await engine.dispose()
    lines = [line(n) for n in range(1, 4)]
    response = await intake.post_batch(client, "/manifest-ingest/lines", "lines", lines, DMF)
    assert response.status_code == 202, response.text
    summary = response.json()
    assert (summary["declared"], summary["rejected"]) == (2, 1)
    [refused] = summary["results"]
    assert (refused["line_id"], refused["issues"][0]["rule"]) == ("2", "store.refused")
    [kept] = await rejections(client, "manifest-ingest")
    assert (kept["id"], kept["reasons"]) == (refused["rejection_id"], refused["issues"])
    subjects = await published_subjects(
        pipeline, kafka, topic_prefix + MANIFEST_LINES.name, "manifest-ingest", 2
    )
    assert subjects == {"EDGE-1/1", "EDGE-1/3"}


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/manifest-ingest/lines", "eta_from"),
        ("/prenotification/prenotifications", "arrival_to"),
    ],
)
async def test_a_query_date_that_cannot_be_expressed_in_utc_is_a_422(
    client: httpx.AsyncClient, path: str, parameter: str
) -> None:
    response = await client.get(
        path, params={parameter: "0001-01-01T00:00:00+14:00"}, headers=OFFICER
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["rule"] == "datetime_out_of_range"


async def test_a_poison_file_in_the_watched_directory_refuses_its_bad_rows_only(
    database_url: str,
    kafka: Broker,
    topic_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drop = intake.watched_directory(tmp_path, "PNM_MANIFEST_INGEST", monkeypatch)
    good = json.dumps(line(1, "DROP-1").model_dump(mode="json"))
    poison = [
        good.replace('"gross_mass_kg": 18000.0', f'"gross_mass_kg": {number}').replace(
            '"line_id": "1"', f'"line_id": "{n}"'
        )
        for n, number in enumerate(["Infinity", "NaN", "1e999"], start=2)
    ]
    assert all("18000.0" not in p for p in poison)
    (drop / "a.jsonl").write_text(good + "\n")
    (drop / "b.jsonl").write_text("\n".join([*poison, "[" * 5000 + "]" * 5000]) + "\n")
    (drop / "c.jsonl").write_text(json.dumps(line(9, "DROP-1").model_dump(mode="json")) + "\n")
    async with intake.hosted(["manifest-ingest"], database_url, kafka, topic_prefix):
        results = await intake.dropped_results(drop, 3, timeout=60)
    assert (
        results["b.jsonl.result.json"]["declared"],
        results["b.jsonl.result.json"]["rejected"],
    ) == (0, 4)
    rules = [r["issues"][0]["rule"] for r in results["b.jsonl.result.json"]["results"]]
    assert rules == ["schema.finite_number"] * 3 + ["json.depth"]
    assert results["c.jsonl.result.json"]["declared"] == 1
    assert list((drop / "failed").glob("*")) == []
