"""Bulk and file intake on real PostgreSQL and Kafka: good records stored and published exactly
once, every bad one kept with its reasons; a file taken in twice is processed once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from infra import Broker, bearer, read_topic
from intake_client import (
    dropped_results,
    hosted,
    post_batch,
    post_file,
    relayed,
    watched_directory,
)
from sqlalchemy import func, select

from pnm.prenotification.adapters.tables import prenotification as stored_notifications
from pnm.prenotification.adapters.tables import rejection
from pnm.shared.contracts.records import ChedType, PreNotification
from pnm.shared.contracts.topics import PRENOTIFICATIONS
from pnm.shared.runtime import Pipeline
from pnm.testing.files import prenotification_csv
from pnm.testing.records import container, prenotification

RECORDS = 10_000
PRENOTIFICATION = "http://pnm/prenotification"
FEEDS = bearer("feed:vgc", "feed:client-import")


def good(n: int) -> PreNotification:
    return prenotification(
        f"CHEDP.NL.2026.{n:07d}",
        ched_type=ChedType.CHED_P,
        cn_code="0202",
        description="Frozen beef",
        containers=[container(200_000 + n)],
    )


def bad(n: int) -> tuple[dict[str, Any], str]:
    """A bad record of one of four kinds, and the rule that must refuse it."""
    record = good(n).model_dump(mode="json")
    kind = (n // 100) % 4
    if kind == 0:
        record["ched_type"] = "CHED-PP"
        record["reference"] = f"CHEDPP.NL.2026.{n:07d}"
        return record, "system.ched_type"
    if kind == 1:
        record["reference"] = f"NOT-A-REFERENCE-{n}"
        return record, "reference.format"
    if kind == 2:
        del record["importer"]
        return record, "schema.missing"
    record["bcp"] = "NLXXX"
    return record, "bcp.unknown"


@pytest.fixture
async def service(
    database_url: str,
    kafka: Broker,
    topic_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    watched_directory(tmp_path, "PNM_PRENOTIFICATION", monkeypatch)
    async with hosted(
        ["prenotification"], database_url, kafka, topic_prefix, PRENOTIFICATION, timeout=300
    ) as hosting:
        yield hosting


async def count(pipeline: Pipeline, table: Any) -> int:
    async with pipeline.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_bulk_of_10000_with_1_percent_bad_rows(
    service: tuple[Pipeline, httpx.AsyncClient], kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    records: list[Any] = []
    expected_rules: dict[int, str] = {}
    for n in range(RECORDS):
        if n % 100 == 99:
            record, rule = bad(n)
            expected_rules[n] = rule
            records.append(record)
        else:
            records.append(good(n).model_dump(mode="json"))

    response = await post_batch(client, "/prenotifications/bulk", "records", records, FEEDS)
    assert response.status_code == 200, response.text[:2000]
    body = response.json()
    assert (body["created"], body["rejected"], body["ignored"]) == (9_900, 100, 0)
    for n, rule in expected_rules.items():
        result = body["results"][n]
        assert result["outcome"] == "rejected"
        assert result["row_number"] == n
        assert rule in {i["rule"] for i in result["issues"]}, (n, result["issues"])
    assert await count(pipeline, stored_notifications) == 9_900
    assert await count(pipeline, rejection) == 100

    await relayed(pipeline, "prenotification", timeout=60)
    on_topic = await read_topic(kafka.bootstrap, topic_prefix + PRENOTIFICATIONS.name, expect=9_900)
    subjects = [json.loads(r.value)["subject"] for r in on_topic]
    assert len(subjects) == 9_900 == len(set(subjects)), "each good record published exactly once"
    assert f"CHEDP.NL.2026.{99:07d}" not in subjects

    # The same request again: every good record is a known version, nothing is published.
    again = (await post_batch(client, "/prenotifications/bulk", "records", records, FEEDS)).json()
    assert (again["created"], again["ignored"], again["rejected"]) == (0, 9_900, 100)
    await relayed(pipeline, "prenotification", timeout=60)
    on_topic = await read_topic(kafka.bootstrap, topic_prefix + PRENOTIFICATIONS.name, expect=9_900)
    assert len(on_topic) == 9_900


def csv_text(records: list[PreNotification], broken_rows: int = 0) -> str:
    text = prenotification_csv(records)
    return text + "".join(
        f"CHEDP.NL.2026.99{n:05d},vgc,CHED-P,1,submitted,yesterday\n" for n in range(broken_rows)
    )


async def test_a_file_dropped_twice_is_taken_in_once(
    service: tuple[Pipeline, httpx.AsyncClient], tmp_path: Path, kafka: Broker, topic_prefix: str
) -> None:
    pipeline, client = service
    drop = tmp_path / "drop"
    content = csv_text([good(n) for n in range(20)], broken_rows=2)

    (drop / "vgc-export-1.csv.tmp").write_text(content)
    (drop / "vgc-export-1.csv.tmp").rename(drop / "vgc-export-1.csv")
    result = (await dropped_results(drop, 1, timeout=30))["vgc-export-1.csv.result.json"]
    assert (result["duplicate"], result["records"], result["created"], result["rejected"]) == (
        False,
        22,
        20,
        2,
    )
    assert [r["row_number"] for r in result["rejections"]] == [22, 23]
    assert all(r["issues"] for r in result["rejections"])

    (drop / "copy-of-export.csv").write_text(content)  # the same content under another name
    second = (await dropped_results(drop, 2, timeout=30))["copy-of-export.csv.result.json"]
    assert second["duplicate"] is True
    assert second["created"] == 20  # the first intake's result, not a new one

    upload = await post_file(client, "/files", "again.csv", content, FEEDS)
    assert upload.status_code == 200, upload.text
    assert upload.json()["duplicate"] is True

    assert await count(pipeline, stored_notifications) == 20
    assert await count(pipeline, rejection) == 2
    await relayed(pipeline, "prenotification", timeout=30)
    on_topic = await read_topic(kafka.bootstrap, topic_prefix + PRENOTIFICATIONS.name, expect=20)
    assert len(on_topic) == 20

    listed = (
        await client.get("/rejections", params={"channel": "file"}, headers=bearer("analyst"))
    ).json()
    assert [r["row_number"] for r in listed] == [22, 23]
    assert listed[0]["source"].startswith("vgc-export-1.csv (")

    unsupported = await post_file(
        client, "/files", "x.xlsx", b"PK", FEEDS, "application/octet-stream"
    )
    assert unsupported.status_code == 415
    headerless = await post_file(client, "/files", "x.csv", b"a,b\n1,2\n", FEEDS)
    assert headerless.status_code == 422
    assert "lacks column" in headerless.json()["detail"]
