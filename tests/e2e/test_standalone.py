"""End to end, standalone: `pnm standalone` as a user starts it (embedded PostgreSQL, the
in-process transport); the terminal sees its instructions through the holds API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from flows import (
    BEEF,
    GRAPES,
    late_notification_is_released_by_the_authority_only,
    notified_line_is_not_blocked,
    rest_acknowledge,
    unnotified_line_is_blocked_and_acknowledged,
)
from infra import OFFICER, TERMINAL, bearer, demo_standalone, eventually

from pnm.cli.demo_events import DEMO_MANIFEST


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[str]:
    with demo_standalone(tmp_path, stop_within=30) as system:
        yield system.url
    output = system.log()
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists(), (
        "PostgreSQL left running"
    )
    assert "pnm standalone on http://127.0.0.1:" in output
    assert '"level": "error", "logger": "pnm.' not in output, output[-3000:]


@pytest.fixture
async def client(standalone: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=standalone, timeout=30) as client:

        async def ready() -> bool:
            try:
                return (await client.get("/health/ready")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, timeout=180)  # a loaded machine: PostgreSQL, migrations
        yield client


def holds_api_instructions(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    async def instructions() -> list[dict[str, Any]]:
        holds = (
            await client.get("/holds/holds", params={"limit": 1000}, headers=bearer(*TERMINAL))
        ).json()
        return [i for h in holds for i in h["instructions"]]

    return instructions


async def test_demo_shows_a_hold_from_block_to_release(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The demo day is loaded; its unnotified beef is held, blocked at the simulated terminal,
    notified late, released by NVWA through the API, and lifted by the terminal."""

    async def released() -> list[dict[str, Any]] | None:
        response = await client.get(
            "/holds/holds",
            params={"manifest_id": "DEMO-EMMA-248W", "line_id": "1"},
            headers=bearer(*OFFICER),
        )
        holds = response.json()
        return holds if holds and holds[0]["state"] == "released" else None

    [held] = await eventually(released, timeout=120)
    assert held["authority"] == "NVWA"
    assert [(i["action"], i["sequence"], i["ack_result"]) for i in held["instructions"]] == [
        ("block", 1, "applied"),
        ("release", 2, "applied"),
    ]
    response = await client.get(
        "/matcher/decisions", params={"manifest_id": "DEMO-EMMA-248W"}, headers=bearer(*OFFICER)
    )
    decided = {d["line_id"]: d["status"] for d in response.json()}
    assert decided == {"1": "notified", "2": "notified", "3": "not_controlled"}

    async def told() -> list[str] | None:
        log = (tmp_path / "standalone.log").read_text()
        steps = [line for line in log.splitlines() if line.startswith("demo: ")]
        return steps if any(step.startswith("demo: done") for step in steps) else None

    steps = await eventually(told)
    for expected in (
        "arrived unnotified: hold",
        "terminal ECTDELTA applied block #1",
        ": acknowledged",
        "late pre-notification CHEDP.NL.2026.0000002 arrives",
        "release_requested (decision",
        "NVWA inspector releases hold",
        "terminal ECTDELTA applied release #2",
        ": released at",
    ):
        assert sum(expected in step for step in steps) == 1, (expected, steps)


async def test_beef_and_grapes_end_to_end_standalone(client: httpx.AsyncClient) -> None:
    instructions = holds_api_instructions(client)
    for goods in (BEEF, GRAPES):
        await unnotified_line_is_blocked_and_acknowledged(
            client, goods, instructions, rest_acknowledge
        )
        await notified_line_is_not_blocked(client, goods, instructions)


async def test_a_late_notification_waits_for_the_authoritys_release_standalone(
    client: httpx.AsyncClient,
) -> None:
    instructions = holds_api_instructions(client)
    for goods in (BEEF, GRAPES):
        await late_notification_is_released_by_the_authority_only(
            client, goods, instructions, rest_acknowledge
        )


DEMO_DAY_STATUSES = {
    "notified",
    "notified_late",
    "awaiting_notification",
    "overdue",
    "review",
    "unnotified",
    "exempt",
    "not_controlled",
}


async def test_demo_day_is_now_at_several_ports_and_its_terminals_answer(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """`--demo` opens on a day generated by the scenario generator and moved to now: lines in
    every status, ships at Rotterdam and flights at Schiphol due within 48 hours and some
    already in; the terminal simulators alone acknowledge the holds of several terminals, and
    some blocks are rejected. The startup output gives the day's size."""
    officer = bearer(*OFFICER)

    async def decisions(**params: str) -> list[dict[str, Any]]:
        response = await client.get(
            "/matcher/decisions", params={"limit": "1000", **params}, headers=officer
        )
        assert response.status_code == 200, response.text
        return list(response.json())

    async def every_status() -> set[str] | None:
        found = {d["status"] for d in await decisions()}
        return found if found >= DEMO_DAY_STATUSES else None

    await eventually(every_status, timeout=120)

    # The day is fed through the public APIs call by call: every status may show before the
    # last calls are decided.
    async def port_is_busy(port: str) -> bool | None:
        now = datetime.now(UTC)
        due = await decisions(
            bcp=port,
            arrival_from=now.isoformat(),
            arrival_to=(now + timedelta(hours=48)).isoformat(),
        )
        arrived = await decisions(bcp=port, arrival_to=now.isoformat())
        busy = len({d["manifest_id"] for d in due}) >= 2 and {d["status"] for d in arrived} >= {
            "unnotified",
            "notified",
        }
        return busy or None

    for port in ("NLRTM", "NLSPL"):
        assert await eventually(partial(port_is_busy, port), timeout=60), port

    async def acknowledged_terminals() -> set[str] | None:
        response = await client.get(
            "/holds/holds", params={"state": "acknowledged", "limit": 1000}, headers=officer
        )
        holds = [h for h in response.json() if h["manifest_id"] != DEMO_MANIFEST]
        terminals = {h["terminal"] for h in holds}
        return terminals if len(terminals) >= 2 else None

    await eventually(acknowledged_terminals, timeout=120)

    async def rejected_blocks() -> list[dict[str, Any]] | None:
        response = await client.get("/holds/holds", params={"limit": 1000}, headers=officer)
        return [
            i
            for h in response.json()
            for i in h["instructions"]
            if i["action"] == "block" and i["ack_result"] == "rejected"
        ] or None

    rejected = await eventually(rejected_blocks, timeout=120)
    assert "ECTDELTA" not in {i["terminal"] for i in rejected}  # the story's terminal is sure

    output = (tmp_path / "standalone.log").read_text()
    sizes = re.search(r"^demo: (\d+) lines, (\d+) pre-notifications, (\d+) arrivals", output, re.M)
    assert sizes, output[-3000:]
    lines, notices, arrivals = map(int, sizes.groups())
    assert 100 <= lines <= 400 and notices >= 40 and arrivals >= 10, sizes.group(0)
