"""A terminal on Kafka, played by `kcat` (librdkafka's command-line client, no project code):
it is down while its block is re-sent, comes back, applies the block exactly once (it
de-duplicates by instruction id) and acknowledges on its own ack topic, twice, harmlessly; the
release that follows arrives after the block in the hold's partition and is applied above it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from infra import Broker, bearer, decision_event, eventually

from pnm.cli.services import ALL
from pnm.holds.settings import protocol_settings
from pnm.shared.contracts.topics import (
    DECISIONS,
    terminal_acks_topic,
    terminal_instructions_topic,
)
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container

# kcat is installed by deploy/bootstrap.sh: without it these tests fail, they never skip.
pytestmark = pytest.mark.integration
OFFICER = bearer("customs-prearrival", subject="douane-1")
NVWA = bearer("nvwa-inspector", subject="nvwa-1")
CODE = "ECTDELTA"


async def kcat(*args: str, stdin: bytes | None = None) -> bytes:
    process = await asyncio.create_subprocess_exec(
        "kcat",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin)
    assert process.returncode == 0, err.decode()
    return out


@dataclass
class KcatTerminal:
    """What a terminal integrator builds: read its topic, apply each instruction once (by
    instruction id) and only above the last sequence applied for the hold, answer on its
    own ack topic keyed by hold."""

    bootstrap: str
    prefix: str
    received: list[dict[str, Any]] = field(default_factory=list)
    applied: list[dict[str, Any]] = field(default_factory=list)
    _last_sequence: dict[str, int] = field(default_factory=dict)
    _seen: int = 0

    async def come_back(self) -> list[dict[str, Any]]:
        """Read its instruction topic from the start (all partitions), apply what is new,
        acknowledge it; returns what it applied this time."""
        topic = self.prefix + terminal_instructions_topic(CODE).name
        out = await kcat(
            "-b", self.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"
        )
        records = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
        records.sort(key=lambda r: (r["partition"], r["offset"]))
        messages = [(r["key"], json.loads(r["payload"])) for r in records][self._seen :]
        self._seen += len(messages)
        now_applied = []
        for key, event in messages:
            assert event["type"] == "nl.pnm.holds.terminal.instruction"
            data = event["data"]
            assert (key, data["terminal"]) == (data["hold_id"], CODE)
            self.received.append(data)
            if any(a["instruction_id"] == data["instruction_id"] for a in self.applied):
                continue  # a re-send of one already applied: answer again, apply nothing
            if data["sequence"] <= self._last_sequence.get(data["hold_id"], 0):
                continue
            self._last_sequence[data["hold_id"]] = data["sequence"]
            self.applied.append(data)
            now_applied.append(data)
        for data in now_applied:
            await self.acknowledge(data)
        return now_applied

    async def acknowledge(self, data: dict[str, Any]) -> None:
        ack = {
            "specversion": "1.0",
            "id": f"ack-{data['instruction_id']}-{datetime.now(UTC).timestamp()}",
            "source": f"/terminal/{CODE}",
            "type": "nl.pnm.holds.terminal.ack",
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "data": {
                "instruction_id": data["instruction_id"],
                "terminal": CODE,
                "result": "applied",
                "at": datetime.now(UTC).isoformat(),
            },
        }
        topic = self.prefix + terminal_acks_topic(CODE).name
        await kcat(
            "-b", self.bootstrap, "-P", "-t", topic, "-k", data["hold_id"],
            stdin=json.dumps(ack).encode() + b"\n",
        )  # fmt: skip


@pytest.fixture
async def client(
    database_url: str, kafka: Broker, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    # Seconds, not minutes: the same back-off, faster.
    monkeypatch.setenv("PNM_HOLDS_RESEND_FIRST_SECONDS", "0.5")
    monkeypatch.setenv("PNM_HOLDS_RESEND_MAX_SECONDS", "1")
    monkeypatch.setenv("PNM_HOLDS_RESEND_INTERVAL_SECONDS", "0.2")
    protocol_settings.cache_clear()
    try:
        async with (
            Pipeline(
                [ALL["holds"]],
                database_url=database_url,
                transport="kafka",
                kafka_bootstrap=kafka.bootstrap,
                topic_prefix=topic_prefix,
            ) as pipeline,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm", timeout=30
            ) as client,
        ):
            yield client
    finally:
        protocol_settings.cache_clear()


async def decide_unnotified(kafka: Broker, topic_prefix: str) -> None:
    event = decision_event("KCAT-1", "1", terminal=CODE, containers=[container(3)])
    await kcat(
        "-b", kafka.bootstrap, "-P", "-t", topic_prefix + DECISIONS.name, "-k", "KCAT-1/1",
        stdin=event + b"\n",
    )  # fmt: skip


async def the_hold(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/holds/holds", params={"manifest_id": "KCAT-1"}, headers=OFFICER)
    assert response.status_code == 200, response.text
    [held] = response.json()
    return dict(held)


async def test_a_terminal_down_then_back_applies_its_block_once_and_the_release_after_it(
    client: httpx.AsyncClient, kafka: Broker, topic_prefix: str
) -> None:
    terminal = KcatTerminal(kafka.bootstrap, topic_prefix)
    await decide_unnotified(kafka, topic_prefix)

    # The terminal is down: the block is sent again and again.
    async def resent() -> dict[str, Any] | None:
        response = await client.get(
            "/holds/holds", params={"manifest_id": "KCAT-1"}, headers=OFFICER
        )
        held = response.json()
        return held[0] if held and held[0]["instructions"][0]["sends"] >= 3 else None

    held = await eventually(resent)
    [block] = held["instructions"]

    # Back: several copies of the one block, applied once, acknowledged.
    async def caught_up() -> list[dict[str, Any]] | None:
        await terminal.come_back()
        copies = [r for r in terminal.received if r["instruction_id"] == block["instruction_id"]]
        return copies if len(copies) >= 3 else None

    await eventually(caught_up)
    assert [a["instruction_id"] for a in terminal.applied] == [block["instruction_id"]]

    async def acknowledged() -> dict[str, Any] | None:
        held = await the_hold(client)
        return held if held["state"] == "acknowledged" else None

    held = await eventually(acknowledged)
    assert held["instructions"][0]["ack_result"] == "applied"
    # Answering again (a terminal that re-reads after a crash) changes nothing.
    await terminal.acknowledge(block)
    again = await client.post(
        "/holds/acks",
        json={
            "instruction_id": block["instruction_id"],
            "terminal": CODE,
            "result": "applied",
            "at": datetime.now(UTC).isoformat(),
        },
        headers=bearer(f"terminal:{CODE}", subject=CODE),
    )
    assert (again.status_code, again.json()["duplicate"]) == (200, True)

    # The authority releases: the release follows the block in the hold's partition.
    released = await client.post(
        f"/holds/holds/{held['hold_id']}/release", json={"reason": "CHED-A found"}, headers=NVWA
    )
    assert released.status_code == 200, released.text

    async def release_applied() -> list[dict[str, Any]] | None:
        await terminal.come_back()
        return [a for a in terminal.applied if a["action"] == "release"] or None

    [release] = await eventually(release_applied)
    assert release["sequence"] == 2
    sequences = [r["sequence"] for r in terminal.received]
    assert sequences == sorted(sequences)  # never a release before its block
    assert [(a["action"], a["sequence"]) for a in terminal.applied] == [
        ("block", 1),
        ("release", 2),
    ]

    async def closed() -> dict[str, Any] | None:
        held = await the_hold(client)
        return held if held["state"] == "released" else None

    held = await eventually(closed)
    assert [i["ack_result"] for i in held["instructions"]] == ["applied", "applied"]
