"""Faults in distributed mode, sized for CI: the matcher is killed (-9) mid-stream and the
broker stopped while lines keep coming. The operator sees the backlog (lag metric, readiness
"catching up") until it is gone, every line is decided, and a re-sent arrival with the same
Idempotency-Key publishes nothing new."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from infra import DMF, OFFICER, ScriptKafka, bearer, eventually, read_topic
from test_distributed import Gateway

from pnm.cli.processes import ServiceProcesses
from pnm.cli.services import ALL
from pnm.shared.contracts.topics import MANIFEST_ARRIVALS
from pnm.testing.records import arrival, container, manifest_line

pytestmark = pytest.mark.integration

POST = 500  # lines per request
FLOWING, WHILE_MATCHER_DEAD, WHILE_BROKER_AWAY = 200, 1000, 200


async def declare(client: httpx.AsyncClient, manifest: str, first: int, count: int) -> None:
    for start in range(first, first + count, POST):
        lines = [
            manifest_line(
                manifest,
                str(i),
                hs_code="020230",
                description="Frozen beef",
                containers=[container(900_000 + i)],
            ).model_dump(mode="json")
            for i in range(start, min(start + POST, first + count))
        ]
        response = await client.post(
            "/manifest-ingest/lines", json={"lines": lines}, headers=bearer(*DMF)
        )
        assert response.status_code == 202, response.text


async def decided(client: httpx.AsyncClient, manifest: str) -> int:
    count = 0
    while True:
        response = await client.get(
            "/matcher/decisions",
            params={"manifest_id": manifest, "limit": 1000, "offset": count},
            headers=bearer(*OFFICER),
        )
        assert response.status_code == 200, response.text
        page = response.json()
        count += len(page)
        if len(page) < 1000:
            return count


def lag_in_metrics(text: str, group: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("pnm_consumer_lag{") and f'group="{group}"' in line
    )


@dataclass
class CatchUpWatch:
    """What an operator polling the matcher saw while it caught up."""

    group: str
    readiness_lag: list[int] = field(default_factory=list)
    metric_lag: list[float] = field(default_factory=list)
    joining_seen: bool = False

    async def poll(self, base_url: str, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
            while not stop.is_set():
                try:
                    ready = (await client.get("/health/ready")).json()
                    metrics = (await client.get("/metrics")).text
                except (httpx.TransportError, json.JSONDecodeError):
                    await asyncio.sleep(0.1)  # restarting
                    continue
                detail: dict[str, Any] = ready.get("catching_up", {}).get(self.group, {})
                self.joining_seen |= detail.get("state") == "joining"
                if "lag" in detail:
                    self.readiness_lag.append(detail["lag"])
                self.metric_lag.append(lag_in_metrics(metrics, self.group))
                await asyncio.sleep(0.1)


async def test_kill_the_matcher_and_stop_the_broker_mid_stream(
    database_url: str, kafka: ScriptKafka, topic_prefix: str, tmp_path: Path
) -> None:
    manifest = f"FAULT-{uuid.uuid4().hex[:6]}"
    env = {
        "PNM_DATABASE_URL": database_url,
        "PNM_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "PNM_KAFKA_TOPIC_PREFIX": topic_prefix,
        "PNM_MATCHER_CONSUMER_LAG_INTERVAL_SECONDS": "0.5",
    }
    key = {"Idempotency-Key": f"arrival-{manifest}"}
    resend = arrival(manifest).model_dump(mode="json")
    with ServiceProcesses(ALL, env, tmp_path, static_members=True) as processes:
        await processes.wait_ready(within=180)  # four processes start on a busy CI machine
        gateway = Gateway(processes.ports())  # a restarted service keeps its port
        async with httpx.AsyncClient(
            transport=gateway, base_url="http://gateway", timeout=60
        ) as client:
            await declare(client, manifest, 0, FLOWING)
            first = await client.post(
                "/manifest-ingest/arrivals", json=resend, headers={**bearer(*DMF), **key}
            )
            assert first.status_code == 202, first.text

            processes.kill("matcher")
            await declare(client, manifest, FLOWING, WHILE_MATCHER_DEAD)
            await asyncio.to_thread(kafka.stop)
            await declare(client, manifest, FLOWING + WHILE_MATCHER_DEAD, WHILE_BROKER_AWAY)
            # The response was lost, the client sends again with the same key.
            again = await client.post(
                "/manifest-ingest/arrivals", json=resend, headers={**bearer(*DMF), **key}
            )
            assert again.status_code == 202
            assert again.headers["Idempotent-Replayed"] == "true"
            assert again.json() == first.json()
            await asyncio.to_thread(kafka.start)

            watch = CatchUpWatch(topic_prefix + ALL["matcher"].consumer_group)
            stop = asyncio.Event()
            processes.restart("matcher")
            watching = asyncio.create_task(watch.poll(processes.services["matcher"].base_url, stop))
            total = FLOWING + WHILE_MATCHER_DEAD + WHILE_BROKER_AWAY
            try:
                await eventually(
                    lambda: _equals(decided(client, manifest), total), timeout=480, interval=1
                )
                await eventually(lambda: _caught_up(watch), timeout=60)
            finally:
                stop.set()
                await watching
            await gateway.aclose()

    assert max(watch.readiness_lag, default=0) > 0, "readiness never said catching up"
    assert max(watch.metric_lag, default=0) > 0, "the lag metric never showed the backlog"
    # Back to nothing after the backlog (`_caught_up` saw it); a sample the poller took after
    # that may show the next watermarks arriving, so the last one is not the test.
    peak = watch.metric_lag.index(max(watch.metric_lag))
    assert 0 in watch.metric_lag[peak:]
    arrivals = await read_topic(kafka.bootstrap, topic_prefix + MANIFEST_ARRIVALS.name, expect=1)
    mine = [r for r in arrivals if json.loads(r.value)["data"]["manifest_id"] == manifest]
    assert len(mine) == 1, "the re-sent arrival was published again"


async def _equals(value: Any, expected: int) -> bool:
    try:
        return bool(await value == expected)
    except httpx.TransportError:
        return False  # the matcher is still starting


async def _caught_up(watch: CatchUpWatch) -> bool:
    return bool(watch.metric_lag) and watch.metric_lag[-1] == 0
