"""`pnm dlq list|show|redrive`: a service's dead letters through its admin API, so the CLI
sees exactly what the API shows and a redrive is recorded with the caller's identity."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import httpx


class DlqError(RuntimeError):
    pass


async def dlq_request(
    client: httpx.AsyncClient, action: str, dead_letter_id: str | None, limit: int = 100
) -> Any:
    """The admin API's answer for one action; `client` has the service's base URL and token."""
    if action == "list":
        response = await client.get("/admin/dead-letters", params={"limit": limit})
    elif dead_letter_id is None:
        raise DlqError(f"`pnm dlq {action}` needs the id of a dead letter (see `pnm dlq list`)")
    elif action == "show":
        response = await client.get(f"/admin/dead-letters/{dead_letter_id}")
    else:
        response = await client.post(f"/admin/dead-letters/{dead_letter_id}/redrive")
    if response.status_code != 200:
        raise DlqError(f"{response.status_code}: {response.text[:2000]}")
    return response.json()


def render(action: str, answer: Any) -> str:
    if action != "list":
        return json.dumps(answer, indent=2, default=str)
    rows = [
        f"{d['id']}\t{d['consumer']}\t{d['topic']}/{d['partition']}@{d['offset']}\t"
        f"key={d['key']}\t"
        f"attempts={d['attempts']}\t{'redriven ' + d['redriven_at'] if d['redriven_at'] else '-'}"
        f"\t{d['error'][:120]}"
        for d in answer["dead_letters"]
    ]
    return "\n".join(rows) if rows else "no dead letters"


async def run_dlq(
    action: str, dead_letter_id: str | None, url: str | None, token: str | None, limit: int
) -> int:
    url = url or os.environ.get("PNM_URL")
    token = token or os.environ.get("PNM_TOKEN")
    if not url or not token:
        print(
            "pnm dlq: give the service's URL (--url or PNM_URL, e.g. http://127.0.0.1:8003 or "
            "http://127.0.0.1:8000/matcher) and an admin token (--token or PNM_TOKEN)",
            file=sys.stderr,
        )
        return 2
    async with httpx.AsyncClient(
        base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        try:
            answer = await dlq_request(client, action, dead_letter_id, limit)
        except (DlqError, httpx.HTTPError) as err:
            print(f"pnm dlq {action}: {err}", file=sys.stderr)
            return 1
    print(render(action, answer))
    return 0
