"""Hostile input against a running standalone system: every write endpoint of the four services
and their path parameters; no 5xx, and every manifest line that was accepted is decided."""

from __future__ import annotations

from typing import Any

import httpx
from hostile import endpoints, hostile_paths, hostile_requests, send_all
from infra import OFFICER, bearer, eventually

PER_ENDPOINT = 120  # (field, value) pairs per endpoint; with the body forms ~1,800 requests


async def _active_indicator_set(client: httpx.AsyncClient) -> dict[str, Any]:
    sets = (await client.get("/matcher/indicator-sets", headers=bearer(*OFFICER))).json()
    active = next(s for s in sets if s.get("active"))
    response = await client.get(
        f"/matcher/indicator-sets/{active['version']}", headers=bearer(*OFFICER)
    )
    document: dict[str, Any] = response.json()
    return document


async def test_no_5xx_and_every_accepted_line_decided(running: str) -> None:
    async with httpx.AsyncClient(base_url=running, timeout=120) as client:
        indicator_set = await _active_indicator_set(client)
        requests = [
            request
            for endpoint in endpoints(indicator_set)
            for request in hostile_requests(endpoint, per_endpoint=PER_ENDPOINT, seed=12)
        ] + hostile_paths()
        outcome = await send_all(client, requests)
        print(
            f"\nhostile input: {outcome.requests} requests, "
            f"{len(outcome.server_errors)} with 5xx or no answer, by status {sorted(outcome.by_status.items())}, "
            f"{len(outcome.accepted_lines)} lines accepted"
        )
        assert outcome.requests == len(requests)
        assert not outcome.server_errors, "\n".join(outcome.server_errors[:40])

        async def undecided() -> list[tuple[str, str]]:
            missing = []
            for manifest_id, line_id in sorted(outcome.accepted_lines):
                response = await client.get(
                    f"/matcher/decisions/{manifest_id}/{line_id}", headers=bearer(*OFFICER)
                )
                if response.status_code != 200:
                    missing.append((manifest_id, line_id))
            return missing

        async def all_decided() -> bool:
            return not await undecided()

        assert outcome.accepted_lines, "no valid line was among the requests"
        try:
            await eventually(all_decided, timeout=60, interval=1)
        except AssertionError:
            raise AssertionError(f"accepted but undecided: {(await undecided())[:20]}") from None
