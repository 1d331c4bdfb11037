"""Standalone mode: all four services in one process on an embedded PostgreSQL, with the
in-process transport, behind one HTTP port."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
from pathlib import Path

import httpx

from pnm.cli.demo import BASE_URL, tell_demo
from pnm.cli.postgres import LocalPostgres, free_port
from pnm.cli.scenarios import ScenarioEvent, demo_events
from pnm.cli.serve import serve_app
from pnm.cli.services import ALL
from pnm.shared.auth import mint_token
from pnm.shared.observability import configure_logging
from pnm.shared.runtime import Pipeline

log = logging.getLogger(__name__)

INPUT_PATHS = {
    "prenotification": "/prenotification/prenotifications",
    "manifest.line": "/manifest-ingest/lines",
    "manifest.arrival": "/manifest-ingest/arrivals",
}


def request_body(event: ScenarioEvent) -> dict[str, object]:
    data = event.record.model_dump(mode="json")
    return {"lines": [data]} if event.type == "manifest.line" else data


FEED_ROLES = ("feed:client-import", "feed:vgc", "feed:dmf")


def feed_headers(secret: str) -> dict[str, str]:
    token = mint_token(secret, subject="demo-feed", roles=FEED_ROLES)
    return {"Authorization": f"Bearer {token}"}


async def post_events(client: httpx.AsyncClient, events: list[ScenarioEvent], secret: str) -> None:
    """Feed inputs through the services' public APIs, as the feeds would."""
    for event in events:
        response = await client.post(
            INPUT_PATHS[event.type], json=request_body(event), headers=feed_headers(secret)
        )
        response.raise_for_status()


def development_secret(data_dir: Path) -> str:
    """PNM_AUTH_SECRET if set; else a random one kept in the data directory (mode 600), so
    tokens minted with `pnm token` keep working across restarts of this standalone system."""
    if secret := os.environ.get("PNM_AUTH_SECRET"):
        return secret
    path = data_dir / "auth-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    os.environ["PNM_AUTH_SECRET"] = secret
    return secret


async def run_standalone(args: argparse.Namespace) -> None:
    configure_logging()
    secret = development_secret(args.data_dir)
    pg: LocalPostgres | None = None
    url = args.database_url
    if url is None:
        pg = LocalPostgres(args.data_dir / "postgres", args.pg_port or free_port()).start()
        url = pg.url
    # The console calls the services' public APIs on this same server (ConsoleSettings).
    os.environ.setdefault("PNM_CONSOLE_API_URL", f"http://{args.host}:{args.port}")
    try:
        pipeline = Pipeline(list(ALL.values()), database_url=url, transport="inprocess")
        await pipeline.start()
        story: asyncio.Task[None] | None = None
        if args.demo:
            transport = httpx.ASGITransport(app=pipeline.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                await post_events(client, demo_events(), secret)
            # Told while the system serves: a hold from block to release (pnm.cli.demo).
            story = asyncio.create_task(tell_demo(transport, secret, feed_headers(secret)))
        base = f"http://{args.host}:{args.port}"
        print(f"pnm standalone on {base}  (PostgreSQL: {url})", flush=True)
        for name in ALL:
            print(f"  {name:16} {base}/{name}/docs", flush=True)
        print(f"  {'health':16} {base}/health/ready   metrics: {base}/metrics", flush=True)
        print(
            "  tokens: PNM_AUTH_SECRET=$(cat "
            f"{args.data_dir / 'auth-secret'}) pnm token --role feed:vgc",
            flush=True,
        )

        async def end_story() -> None:
            if story is not None:
                story.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await story

        await serve_app(pipeline, args.host, args.port, end_story)
    finally:
        if pg is not None:
            pg.stop()
