"""A watched directory of manifest-ingest on a real PostgreSQL (in-process transport): a poison
file between two good ones, a link to an outside file and a file still being written."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from infra import bearer, eventually

from pnm.cli.services import ALL
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line

OFFICER = bearer("customs-prearrival")


def jsonl(manifest_id: str) -> str:
    line = manifest_line(
        manifest_id, "1", hs_code="020130", description="beef", containers=[container(41)]
    )
    return json.dumps(line.model_dump(mode="json")) + "\n"


def dropped_long_ago(path: Path, content: str) -> None:
    path.write_text(content)
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))


@pytest.fixture
async def drop(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Path, httpx.AsyncClient]]:
    drop = tmp_path / "dmf"
    drop.mkdir()
    monkeypatch.setenv("PNM_MANIFEST_INGEST_DROP_DIR", str(drop))
    monkeypatch.setenv("PNM_MANIFEST_INGEST_DROP_INTERVAL_SECONDS", "0.2")
    monkeypatch.setenv("PNM_MANIFEST_INGEST_DROP_QUIET_SECONDS", "600")
    secret = tmp_path / "outside.jsonl"
    secret.write_text(jsonl("OUTSIDE-1"))
    (drop / "b-link.jsonl").symlink_to(secret)
    dropped_long_ago(drop / "a.jsonl", jsonl("GOOD-A"))
    poison = jsonl("POISON-B").replace('"gross_mass_kg":', '"gross_mass_kg": Infinity, "x":')
    dropped_long_ago(drop / "b.jsonl", poison)
    dropped_long_ago(drop / "c.jsonl", jsonl("GOOD-C"))
    (drop / "d.jsonl").write_text(jsonl("HALF-D")[:40])  # still being written, in place
    async with (
        Pipeline(
            [ALL["manifest-ingest"]], database_url=database_url, transport="inprocess"
        ) as pipeline,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app),
            base_url="http://pnm/manifest-ingest",
        ) as client,
    ):
        yield drop, client


async def test_one_poison_file_a_link_and_a_half_written_file(
    drop: tuple[Path, httpx.AsyncClient],
) -> None:
    directory, client = drop

    async def settled() -> list[str] | None:
        left = sorted(p.name for p in directory.iterdir() if p.is_file() or p.is_symlink())
        return left if left == ["d.jsonl"] else None

    await eventually(settled, timeout=30)
    processed = {
        p.name.split("-", 1)[1]: json.loads(p.read_text())
        for p in (directory / "processed").glob("*.result.json")
    }
    assert processed["a.jsonl.result.json"]["declared"] == 1
    assert processed["c.jsonl.result.json"]["declared"] == 1
    for manifest in ("GOOD-A", "GOOD-C"):
        response = await client.get(f"/manifests/{manifest}", headers=OFFICER)
        assert response.status_code == 200, manifest
    # The poison file is out of the way: refused as a whole, or its line refused on its own.
    failed = directory / "failed"
    if (failed / "b.jsonl").exists():
        assert (failed / "b.jsonl.error.txt").read_text().strip()
    else:
        assert processed["b.jsonl.result.json"]["rejected"] == 1
    assert (failed / "b-link.jsonl").is_symlink()
    assert "symbolic link" in (failed / "b-link.jsonl.error.txt").read_text()
    assert (await client.get("/manifests/OUTSIDE-1", headers=OFFICER)).status_code == 404
    rejections = (await client.get("/rejections", headers=OFFICER)).text
    assert "OUTSIDE-1" not in rejections
    assert "HALF-D" not in rejections
