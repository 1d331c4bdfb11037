"""`pnm bench --only rejoin`: how long a decision waits when the matcher is killed (-9) and
started again after an outage, with the consumer group membership of before (dynamic, 30 s
session) and of now (10 s session; static membership)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from pnm.cli.bench_common import Served, bearer, watch_decisions
from pnm.cli.processes import ServiceProcesses
from pnm.shared.contracts.topics import DECISIONS
from pnm.shared.roles import feed_role
from pnm.testing.records import container, manifest_line

OUTAGE_SECONDS = 10.0
# label: (matcher settings, static membership)
MODES: dict[str, tuple[dict[str, str], bool]] = {
    "dynamic, 30 s session (before)": ({"PNM_MATCHER_CONSUMER_SESSION_TIMEOUT_MS": "30000"}, False),
    "dynamic, 10 s session": ({"PNM_MATCHER_CONSUMER_SESSION_TIMEOUT_MS": "10000"}, False),
    # Static membership helps only while the member's session outlives the outage.
    "static membership, 30 s session": (
        {"PNM_MATCHER_CONSUMER_SESSION_TIMEOUT_MS": "30000"},
        True,
    ),
}


async def _decide_one(
    client: httpx.AsyncClient, bootstrap: str, topic: str, manifest: str, n: int
) -> asyncio.Task[None]:
    """Post one beef line; the task ends when the line's own decision is on Kafka (a decision
    of an earlier line re-published by a restarted relay does not count)."""
    line = manifest_line(
        manifest, str(n), hs_code="020230", description="Frozen beef", containers=[container(n)]
    )
    watcher = asyncio.create_task(watch_decisions(bootstrap, topic, {}, 1, key=line.key))
    await asyncio.sleep(2)  # the watcher sits at the end of the topic
    response = await client.post(
        "/manifest-ingest/lines",
        json={"lines": [line.model_dump(mode="json")]},
        headers=bearer(feed_role("dmf")),
    )
    response.raise_for_status()
    return watcher


@dataclass(frozen=True)
class Rejoin:
    to_decision: float  # from the kill to the decision of a line posted right after it
    to_serving: float | None  # from the restart to the new process serving HTTP
    to_assignment: float | None  # from the restart to the new process owning its partitions


def _logged_after(log: str, restarted: datetime, message: str) -> float | None:
    """Seconds from `restarted` to the first log line with `message` after it."""
    for line in log.splitlines():
        if f'"msg": "{message}' not in line:
            continue
        at = datetime.fromisoformat(json.loads(line)["ts"])
        if at >= restarted:
            return (at - restarted).total_seconds()
    return None


async def rejoin_delay(
    site: Served, workdir: Path, prefix: str, settings: dict[str, str], static: bool
) -> Rejoin:
    env = {**await site.env(prefix), **settings}
    bootstrap = site.bootstrap
    topic = prefix + DECISIONS.name
    manifest = f"REJOIN-{prefix.strip('.')}"
    with ServiceProcesses(
        ["manifest-ingest", "matcher"], env, workdir, static_members=static
    ) as processes:
        await processes.wait_ready(within=180)
        async with httpx.AsyncClient(
            base_url=processes.services["manifest-ingest"].base_url, timeout=60
        ) as client:
            # The group is formed and the matcher warm before the fault.
            await asyncio.wait_for(
                await _decide_one(client, bootstrap, topic, manifest, 1), timeout=300
            )
            processes.kill("matcher")
            killed = time.perf_counter()
            waiting = await _decide_one(client, bootstrap, topic, manifest, 2)
            await asyncio.sleep(max(OUTAGE_SECONDS - (time.perf_counter() - killed), 0))
            restarted = datetime.now(UTC)
            processes.restart("matcher")
            await asyncio.wait_for(waiting, timeout=300)
            seconds = time.perf_counter() - killed
            log = processes.services["matcher"].output()
    return Rejoin(
        seconds,
        _logged_after(log, restarted, "Uvicorn running"),
        _logged_after(log, restarted, "partitions assigned"),
    )


async def rejoin_section(site: Served) -> None:
    print(
        f"rejoin: a line posted when the matcher is killed, restarted {OUTAGE_SECONDS:.0f} s later:"
    )
    for n, (label, (settings, static)) in enumerate(MODES.items()):
        figures = await rejoin_delay(
            site, site.workdir / f"rejoin-{n}", f"bench{site.run}r{n}.", settings, static
        )
        serving, assigned = (
            f"{s:.1f} s" if s is not None else "?"
            for s in (figures.to_serving, figures.to_assignment)
        )
        print(
            f"  {label + ':':34}{figures.to_decision:6.1f} s to its decision "
            f"({figures.to_decision - OUTAGE_SECONDS:.1f} s beyond the outage; after the "
            f"restart: serving in {serving}, partitions in {assigned})"
        )
