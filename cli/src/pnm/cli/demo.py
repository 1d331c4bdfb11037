"""`pnm standalone --demo`: a hold from block to release, told as it happens. The unnotified
beef of the demo day is held and its block sent to terminal ECTDELTA, where the terminal
simulator (pnm.cli.demo_terminals, over REST, with a terminal token) applies it; the
importer's late pre-notification arrives, the hold asks NVWA to release; an NVWA inspector
releases it through the API, as a person would; the simulator lifts the block and the hold is
`released`. docs/terminal-sim.md, docs/demo.md."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from pnm.cli.demo_events import DEMO_BEEF, DEMO_MANIFEST, demo_late_prenotification
from pnm.cli.demo_terminals import log_action
from pnm.shared.auth import mint_token
from pnm.shared.roles import Role

TERMINAL = "ECTDELTA"
BASE_URL = "http://standalone"
STEP_TIMEOUT = 120.0  # seconds a step may take before the demo gives up telling it


class DemoStalled(RuntimeError):
    pass


def say(text: str) -> None:
    print(f"demo: {text}", flush=True)


def tell_terminal(line: dict[str, Any]) -> None:
    """What the terminals do: told when it is the story's container, logged otherwise."""
    if DEMO_BEEF in line.get("containers", ()):
        boxes = ", ".join(line["containers"])
        terminal = line["terminal"]
        say(f"terminal {terminal} {line['event']} {line['action']} #{line['sequence']} on {boxes}")
    else:
        log_action(line)


def bearer(secret: str, subject: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(secret, subject=subject, roles=[role])}"}


async def until(probe: Callable[[], Awaitable[dict[str, Any] | None]], what: str) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + STEP_TIMEOUT
    while (found := await probe()) is None:
        if asyncio.get_running_loop().time() > deadline:
            raise DemoStalled(f"no {what} within {STEP_TIMEOUT:.0f} s")
        await asyncio.sleep(0.2)
    return found


async def block_to_release(
    transport: httpx.AsyncBaseTransport, secret: str, feed: httpx.Auth
) -> None:
    """Tell the story; the terminal simulators act on their own (pnm.cli.demo_terminals)."""
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        await _story(client, secret, feed)


async def _story(client: httpx.AsyncClient, secret: str, feed: httpx.Auth) -> None:
    officer = bearer(secret, "demo-prearrival", Role.CUSTOMS_PREARRIVAL)
    inspector = bearer(secret, "demo-nvwa-inspector", Role.NVWA_INSPECTOR)

    async def beef_hold(*states: str) -> dict[str, Any] | None:
        response = await client.get(
            "/holds/holds",
            params={"manifest_id": DEMO_MANIFEST, "line_id": "1"},
            headers=officer,
        )
        response.raise_for_status()
        return next((h for h in response.json() if h["state"] in states), None)

    held = await until(lambda: beef_hold("instructed", "acknowledged"), "hold on the beef")
    say(
        f"line {DEMO_MANIFEST}/1 (frozen beef) arrived unnotified: hold {held['hold_id']} for "
        f"{held['authority']}, block #1 sent to terminal {held['terminal']}"
    )
    await _release(client, feed, inspector, beef_hold)


async def _release(
    client: httpx.AsyncClient,
    feed: httpx.Auth,
    inspector: dict[str, str],
    beef_hold: Callable[..., Awaitable[dict[str, Any] | None]],
) -> None:
    held = await until(lambda: beef_hold("acknowledged"), "acknowledged block")
    say(f"hold {held['hold_id']}: {held['state']} (the terminal holds the container)")

    late = demo_late_prenotification()
    response = await client.post(
        "/prenotification/prenotifications", json=late.model_dump(mode="json"), auth=feed
    )
    response.raise_for_status()
    say(f"the importer's late pre-notification {late.reference} arrives")
    held = await until(lambda: beef_hold("release_requested"), "release request")
    say(
        f"hold {held['hold_id']}: release_requested ({held['release_reason']}); "
        f"the block stays until {held['authority']} releases"
    )

    response = await client.post(
        f"/holds/holds/{held['hold_id']}/release",
        json={"reason": f"pre-notified late as {late.reference}; documents checked"},
        headers=inspector,
    )
    response.raise_for_status()
    held = response.json()
    say(f"NVWA inspector releases hold {held['hold_id']}: {held['state']}, release #2 sent")
    held = await until(lambda: beef_hold("released"), "confirmed release")
    say(f"hold {held['hold_id']}: released at {held['released_at']} (the terminal lifted it)")


async def tell_demo(transport: httpx.AsyncBaseTransport, secret: str, feed: httpx.Auth) -> None:
    """The story, and if it stalls, why (the system keeps serving either way)."""
    try:
        await block_to_release(transport, secret, feed)
    except (DemoStalled, httpx.HTTPError) as err:
        say(f"stopped: {err}")
    else:
        say("done: block to release; the system keeps serving")
