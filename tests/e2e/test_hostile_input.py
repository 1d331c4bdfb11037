"""Hostile input against a running standalone system: every write endpoint of the four services
and their path parameters; no 5xx, and every manifest line that was accepted is decided."""

from __future__ import annotations

import httpx
from hostile import refused_cleanly_and_lines_decided


async def test_no_5xx_and_every_accepted_line_decided(running: str) -> None:
    async with httpx.AsyncClient(base_url=running, timeout=120) as client:
        # (field, value) pairs per endpoint; with the body forms and paths ~1,300 requests
        await refused_cleanly_and_lines_decided(client, per_endpoint=100)
