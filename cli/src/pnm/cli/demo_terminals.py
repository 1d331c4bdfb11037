"""The terminals of `pnm standalone --demo`: one terminal simulator (pnm.cli.terminal_sim,
over REST with its own `terminal:CODE` token) for every terminal the holds service sends
instructions to, for as long as the system runs. docs/demo.md."""

from __future__ import annotations

import asyncio
import logging
import zlib
from typing import Any

import httpx

from pnm.cli.demo_day import DemoSettings
from pnm.cli.demo_feed import Minted
from pnm.cli.terminal_register import Behaviour, Register
from pnm.cli.terminal_sim import Emit, RestChannel, run_terminal
from pnm.holds.adapters.terminals import Delivery, delivery_of, registered_terminals
from pnm.holds.settings import protocol_settings
from pnm.shared.roles import terminal_role

log = logging.getLogger(__name__)
# Every two seconds when idle: nine pollers at one second took a tenth of a core at rest.
POLL_SECONDS = 2.0


def instructed_terminals() -> list[str]:
    """The registered terminals whose instructions are sent (not those in shadow mode)."""
    settings = protocol_settings()
    return [code for code in registered_terminals() if delivery_of(code, settings) is Delivery.LIVE]


def behaviour_of(code: str, settings: DemoSettings, reliable: str) -> Behaviour:
    """The `reliable` terminal (the story's) never rejects; each other one rejects a share of
    its instructions, drawn from its own seed so that a run can be repeated."""
    return Behaviour(
        delay=settings.terminal_delay_seconds,
        reject_rate=0.0 if code == reliable else settings.terminal_reject_rate,
        seed=settings.seed + zlib.crc32(code.encode()),
    )


def log_action(line: dict[str, Any]) -> None:
    if "action" in line:
        log.info(
            "terminal %s %s %s #%s on %s%s",
            line["terminal"],
            line["event"],
            line["action"],
            line["sequence"],
            ", ".join(line["containers"]) or "air cargo (no container)",
            f": {line['detail']}" if line.get("detail") else "",
        )
    else:
        log.info("terminal %s %s %s", line["terminal"], line["event"], line.get("detail") or "")


async def run_terminals(
    transport: httpx.AsyncBaseTransport,
    base_url: str,
    secret: str,
    settings: DemoSettings,
    reliable: str,
    emit: Emit = log_action,
) -> None:
    """Run a simulator per instructed terminal until cancelled."""
    async with asyncio.TaskGroup() as group:
        for code in instructed_terminals():
            behaviour = behaviour_of(code, settings, reliable)
            group.create_task(_terminal(transport, base_url, secret, code, behaviour, emit))


async def _terminal(
    transport: httpx.AsyncBaseTransport,
    base_url: str,
    secret: str,
    code: str,
    behaviour: Behaviour,
    emit: Emit,
) -> None:
    auth = Minted(secret, code, [terminal_role(code)])
    async with httpx.AsyncClient(transport=transport, base_url=base_url, auth=auth) as client:
        try:
            await run_terminal(
                code, RestChannel(client, code, POLL_SECONDS), Register(), behaviour, emit=emit
            )
        except httpx.HTTPStatusError as err:  # its token refused: nothing more it can do
            log.error("terminal %s simulator stopped: %s", code, err)
