"""The demo's inputs through the services' public APIs, as the feeds would send them: DMF's
manifest lines, ETA updates and arrivals, Client Import's and VGC's pre-notifications, and
the feeds' heartbeats while the system runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import UTC, datetime

import httpx

from pnm.cli.replay_input import ScenarioEvent
from pnm.cli.scenario.feeds import PRENOTIFICATION_FEEDS
from pnm.shared.auth import mint_token
from pnm.shared.roles import feed_role

log = logging.getLogger(__name__)

INPUT_PATHS = {
    "manifest.eta": "/manifest-ingest/eta",
    "manifest.arrival": "/manifest-ingest/arrivals",
}
# Inputs sent many to a request: (path, field of the list), in the order they are sent.
BATCHES = {
    "prenotification": ("/prenotification/prenotifications/bulk", "records"),
    "manifest.line": ("/manifest-ingest/lines", "lines"),
}
FEED_ROLES = tuple(feed_role(s) for s in (*PRENOTIFICATION_FEEDS, "dmf"))
PER_REQUEST = 500


class Minted(httpx.Auth):
    """A fresh bearer token on every request: the demo runs longer than a token lives."""

    def __init__(self, secret: str, subject: str, roles: Sequence[str]) -> None:
        self.secret, self.subject, self.roles = secret, subject, list(roles)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = mint_token(self.secret, subject=self.subject, roles=self.roles)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def feed_auth(secret: str) -> Minted:
    return Minted(secret, "demo-feed", FEED_ROLES)


class InputRefused(RuntimeError):
    """A service refused one of the demo's inputs: they are all meant to be valid."""


def messages(events: Iterable[ScenarioEvent]) -> Iterator[tuple[str, dict[str, object]]]:
    """(path, body) per request. Arrivals and ETA updates go in their order; between two of
    them the pre-notifications go first, in one bulk, and then the manifest lines, in one
    message: the matcher decides each line once, with the notices already in, and no line
    waits for a block in between (blocks follow arrivals and ETAs)."""
    stretch: dict[str, list[dict[str, object]]] = {kind: [] for kind in BATCHES}
    for event in events:
        data = event.record.model_dump(mode="json")
        if event.type in stretch:
            stretch[event.type].append(data)
            continue
        yield from _batches(stretch)
        yield INPUT_PATHS[event.type], data
    yield from _batches(stretch)


def _batches(
    stretch: dict[str, list[dict[str, object]]],
) -> Iterator[tuple[str, dict[str, object]]]:
    for kind, (path, field) in BATCHES.items():
        records = stretch[kind]
        for start in range(0, len(records), PER_REQUEST):
            yield path, {field: records[start : start + PER_REQUEST]}
        records.clear()


async def post_events(
    client: httpx.AsyncClient, events: Iterable[ScenarioEvent], auth: httpx.Auth
) -> None:
    """Feed inputs in order; any refusal, of a whole request or of a line in it, is raised."""
    for path, body in messages(events):
        response = await client.post(path, json=body, auth=auth)
        response.raise_for_status()
        if response.json().get("rejected"):
            raise InputRefused(f"POST {path}: {response.text[:500]}")


async def feed_as_time_comes(
    client: httpx.AsyncClient, events: Sequence[ScenarioEvent], auth: httpx.Auth
) -> None:
    """Each input at its time (the events are in time order)."""
    for event in events:
        wait = (event.time - datetime.now(UTC)).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            await post_events(client, [event], auth)
        except (httpx.HTTPError, InputRefused) as err:
            log.error("demo input %s of %s not taken: %s", event.type, event.time, err)


async def keep_feeds_alive(client: httpx.AsyncClient, auth: httpx.Auth, every: float) -> None:
    """The pre-notification feeds' heartbeats: a feed silent past its threshold would make the
    matcher hold back `unnotified` (docs/watermark.md, feed health)."""
    while True:
        for system in PRENOTIFICATION_FEEDS:
            try:
                response = await client.post(
                    f"/prenotification/feeds/{system}/heartbeat", auth=auth
                )
                response.raise_for_status()
            except httpx.HTTPError as err:
                log.warning("demo feed %s heartbeat not taken: %s", system, err)
        await asyncio.sleep(every)
