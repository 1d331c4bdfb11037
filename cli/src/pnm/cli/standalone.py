"""Standalone mode: all four services in one process on an embedded PostgreSQL, with the
in-process transport, behind one HTTP port."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from pnm.cli.demo import BASE_URL, TERMINAL, say, tell_demo, tell_terminal
from pnm.cli.demo_day import DemoDay, DemoSettings, build_demo_day, summary
from pnm.cli.demo_events import demo_events
from pnm.cli.demo_feed import feed_as_time_comes, feed_auth, keep_feeds_alive, post_events
from pnm.cli.demo_terminals import run_terminals
from pnm.cli.postgres import LocalPostgres, free_port
from pnm.cli.serve import serve_app
from pnm.cli.services import ALL
from pnm.shared.observability import configure_logging
from pnm.shared.runtime import Pipeline

log = logging.getLogger(__name__)

CONSOLE_API_URL = "PNM_CONSOLE_API_URL"
WILDCARD_HOSTS = ("", "0.0.0.0", "::", "localhost")


def own_base_url(host: str, port: int) -> str:
    """The URL this process answers on from the same machine: a wildcard address is reached
    on the loopback address."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


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
    settings = DemoSettings() if args.demo else None
    # Generated in a thread while PostgreSQL and the services start: CPU beside their I/O.
    day = (
        asyncio.get_running_loop().run_in_executor(
            None, build_demo_day, datetime.now(UTC), settings
        )
        if settings is not None
        else None
    )
    pg: LocalPostgres | None = None
    url = args.database_url
    if url is None:
        pg = LocalPostgres(args.data_dir / "postgres", args.pg_port or free_port()).start()
        url = pg.url
    try:
        # The console (a service of its own in distributed mode) reads the APIs over HTTP.
        os.environ.setdefault(CONSOLE_API_URL, own_base_url(args.host, args.port))
        pipeline = Pipeline(list(ALL.values()), database_url=url, transport="inprocess")
        await pipeline.start()
        demo = []
        if settings is not None and day is not None:
            demo = start_demo(pipeline, secret, settings, await day)
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
            for task in demo:
                task.cancel()
            await asyncio.gather(*demo, return_exceptions=True)  # failures were reported

        await serve_app(pipeline, args.host, args.port, end_story)
    finally:
        if pg is not None:
            pg.stop()


def start_demo(
    pipeline: Pipeline, secret: str, settings: DemoSettings, day: DemoDay
) -> list[asyncio.Task[None]]:
    """While the system serves: the story's records and the demo day up to now, then the rest
    of the day as its time comes and the feeds' heartbeats; a terminal simulator per terminal;
    the story of one hold (pnm.cli.demo). docs/demo.md."""
    story_inputs = demo_events()
    say(summary([*story_inputs, *day.events]))
    transport = httpx.ASGITransport(app=pipeline.app)
    feed = feed_auth(secret)

    async def feeds() -> None:
        started = time.monotonic()
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            await post_events(client, story_inputs, feed)
            await post_events(client, day.loaded, feed)
            say(
                f"the day up to now is in ({time.monotonic() - started:.0f} s); "
                f"{len(day.live)} more inputs come over the next "
                f"{settings.live_minutes:.0f} minutes"
            )
            await asyncio.gather(
                feed_as_time_comes(client, day.live, feed),
                keep_feeds_alive(client, feed, settings.heartbeat_seconds),
            )

    tasks = [
        asyncio.create_task(feeds(), name="the feeds"),
        asyncio.create_task(
            run_terminals(transport, BASE_URL, secret, settings, TERMINAL, tell_terminal),
            name="the terminal simulators",
        ),
        # Told while the system serves: a hold from block to release.
        asyncio.create_task(tell_demo(transport, secret, feed), name="the story"),
    ]
    for task in tasks:
        task.add_done_callback(report_failure)
    return tasks


def report_failure(task: asyncio.Task[None]) -> None:
    """A part of the demo that ends by an error says so at once, not only at shutdown."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("demo: %s stopped", task.get_name(), exc_info=error)
