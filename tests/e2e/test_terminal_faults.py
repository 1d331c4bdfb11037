"""kill -9 of the holds service while decisions stream in: every line gets its hold and exactly
one block instruction on the terminal's topic (a record may repeat, as a re-send does; an
instruction is never lost and never issued twice). The terminal's view is read with kcat."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from infra import OFFICER, Broker, bearer, decision_event, eventually

from pnm.cli.processes import ServiceProcesses
from pnm.shared.contracts.topics import DECISIONS, terminal_instructions_topic
from pnm.testing.records import container

# kcat is installed by deploy/bootstrap.sh: without it these tests fail, they never skip.
pytestmark = pytest.mark.integration
LINES = 600
MANIFEST = "KILL-1"
CODE = "ECTDELTA"


def decision(line: int) -> bytes:
    return decision_event(
        MANIFEST, str(line), terminal=CODE, containers=[container(700_000 + line)]
    )


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


async def held_lines(client: httpx.AsyncClient) -> int:
    count = 0
    while True:
        response = await client.get(
            "/holds/holds",
            params={"manifest_id": MANIFEST, "limit": 1000, "offset": count},
            headers=bearer(*OFFICER),
        )
        assert response.status_code == 200, response.text
        count += len(response.json())
        if len(response.json()) < 1000:
            return count


async def test_kill_the_holds_service_mid_stream_loses_and_duplicates_no_instruction(
    database_url: str, kafka: Broker, topic_prefix: str, tmp_path: Path
) -> None:
    env = {
        "PNM_DATABASE_URL": database_url,
        "PNM_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "PNM_KAFKA_TOPIC_PREFIX": topic_prefix,
    }
    payload = b"".join(decision(i) + b"\n" for i in range(LINES))
    with ServiceProcesses(["holds"], env, tmp_path, static_members=True) as processes:
        await processes.wait_ready(within=180)
        base_url = processes.services["holds"].base_url
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            await kcat(
                "-b", kafka.bootstrap, "-P", "-t", topic_prefix + DECISIONS.name, stdin=payload
            )  # fmt: skip
            await eventually(lambda: held_lines(client), timeout=180)
            processes.kill("holds")
        processes.restart("holds")
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

            async def all_held() -> bool:
                try:
                    return await held_lines(client) == LINES
                except httpx.TransportError:
                    return False

            await eventually(all_held, timeout=480, interval=1)

        topic = topic_prefix + terminal_instructions_topic(CODE).name

        async def all_published() -> dict[str, set[str]] | None:
            out = await kcat(
                "-b", kafka.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"
            )
            per_line: dict[str, set[str]] = defaultdict(set)
            for line in out.decode().splitlines():
                data = json.loads(json.loads(line)["payload"])["data"]
                per_line[data["line_id"]].add(data["instruction_id"])
            return per_line if len(per_line) == LINES else None

        per_line = await eventually(all_published, timeout=120, interval=1)
    # One instruction per line: none lost, none issued twice.
    assert {len(ids) for ids in per_line.values()} == {1}
    assert set(per_line) == {str(i) for i in range(LINES)}
