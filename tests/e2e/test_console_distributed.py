"""The console in distributed mode: its own `pnm serve console` process beside the four
services, on real Kafka and PostgreSQL. Its read model follows the events (an unnotified line
enters its queue after the arrival; the hold leaves the terminal's queue after the terminal's
acknowledgement), its pages and static files are served under /console, and `/` leads there."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from flows import BEEF, arrive, decision_of, declare, first
from infra import OFFICER, Broker, bearer, eventually
from test_distributed import Gateway, Terminal

from pnm.cli.processes import ServiceProcesses
from pnm.testing.records import container, manifest_line

pytestmark = pytest.mark.integration

PIPELINE = ("prenotification", "manifest-ingest", "matcher", "holds")


def _shut_down_cleanly(processes: ServiceProcesses) -> None:
    for service in processes.services.values():
        output = service.output()
        assert service.process.returncode == 0, f"{service.name} crashed:\n{output[-3000:]}"
        assert '"msg": "stopped"' in output, f"{service.name} did not shut down:\n{output[-3000:]}"
        assert '"level": "error", "logger": "pnm.' not in output, (
            f"{service.name} failed:\n{output[-3000:]}"
        )


@pytest.fixture
def ports(
    database_url: str, kafka: Broker, topic_prefix: str, tmp_path: Path
) -> Iterator[dict[str, int]]:
    """The four services, then the console told where each one answers (as an operator
    configures it: PNM_CONSOLE_API_URLS; PNM_CONSOLE_API_URL is the fallback for the rest)."""
    env = {
        "PNM_DATABASE_URL": database_url,
        "PNM_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "PNM_KAFKA_TOPIC_PREFIX": topic_prefix,
    }
    with ServiceProcesses(PIPELINE, env, tmp_path / "pipeline") as pipeline:
        urls = {name: f"http://127.0.0.1:{port}" for name, port in pipeline.ports().items()}
        console_env = {
            **env,
            "PNM_CONSOLE_API_URLS": json.dumps(urls),
            "PNM_CONSOLE_API_URL": "http://127.0.0.1:1",  # nothing answers there
        }
        with ServiceProcesses(["console"], console_env, tmp_path / "console") as console:
            yield {**pipeline.ports(), **console.ports()}
    _shut_down_cleanly(pipeline)
    _shut_down_cleanly(console)


@pytest.fixture
async def gateway(ports: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    """The four services' APIs, each on its own port, as the feeds and the terminal call them."""
    async with httpx.AsyncClient(
        transport=Gateway(ports), base_url="http://gateway", timeout=30
    ) as client:

        async def all_ready() -> bool:
            try:
                answers = [await client.get(f"/{name}/health/ready") for name in ports]
            except httpx.TransportError:
                return False
            return all(answer.status_code == 200 for answer in answers)

        await eventually(all_ready, timeout=180)
        yield client


@pytest.fixture
async def console(ports: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    """The console's own port, as a browser (or a reverse proxy) reaches it."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['console']}") as client:
        yield client


@pytest.fixture
def terminal(kafka: Broker, topic_prefix: str) -> Iterator[Terminal]:
    reader = Terminal(kafka.bootstrap, topic_prefix)
    yield reader
    reader.close()


async def test_console_process_serves_pages_static_files_and_the_root_redirect(
    gateway: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    root = await console.get("/")
    assert root.status_code == 307 and root.headers["location"] == "/console/"

    unsigned = await console.get("/console/")
    assert unsigned.status_code == 303
    assert unsigned.headers["location"].startswith("/console/login")
    login = await console.get("/console/login")
    assert login.status_code == 200 and 'href="/console/static/console.css"' in login.text

    css = await console.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    htmx = await console.get("/console/static/vendor/htmx-2.0.11/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text

    overview = await console.get("/console/", headers=bearer(*OFFICER))
    assert overview.status_code == 200, overview.text
    assert "/console/queues/unnotified" in overview.text


async def rows(console: httpx.AsyncClient, queue: str, search: str) -> str:
    """The live fragment of a queue, searched, as the page's htmx fetches it."""
    response = await console.get(
        f"/console/queues/{queue}/rows", params={"q": search}, headers=bearer(*OFFICER)
    )
    assert response.status_code == 200, response.text
    return response.text


async def test_unnotified_line_enters_its_queue_and_its_hold_follows_the_terminal(
    gateway: httpx.AsyncClient, console: httpx.AsyncClient, terminal: Terminal
) -> None:
    manifest_id = f"CON-{uuid.uuid4().hex[:8]}"
    box = container(uuid.uuid4().int % 1_000_000)
    line = manifest_line(
        manifest_id, "1", hs_code=BEEF.hs_code, description=BEEF.description, containers=[box]
    )
    await declare(gateway, line)

    async def awaiting() -> bool:
        decided = await decision_of(gateway, manifest_id, "1")
        return decided is not None and decided["status"] == "awaiting_notification"

    await eventually(awaiting)
    assert manifest_id not in await rows(console, "unnotified", box)

    # The arrival without a pre-notification: the line is unnotified and a hold is opened.
    await arrive(gateway, manifest_id)

    async def in_unnotified() -> str | None:
        found = await rows(console, "unnotified", box)
        return found if f"{manifest_id}/1" in found else None

    listed = await eventually(in_unnotified, timeout=30)
    assert 'class="status status-unnotified"' in listed

    async def waiting_for_terminal() -> str | None:
        found = await rows(console, "holds_waiting_terminal", box)
        return found if f"{manifest_id}/1" in found else None

    waiting = await eventually(waiting_for_terminal, timeout=30)
    assert BEEF.authority in waiting

    instruction = await eventually(first(terminal.instructions, manifest_id, "block"))
    await terminal.acknowledge_on_topic(gateway, instruction)

    async def left_the_terminal_queue() -> bool:
        return f"{manifest_id}/1" not in await rows(console, "holds_waiting_terminal", box)

    await eventually(left_the_terminal_queue, timeout=30)
    # Still unnotified (the block holds it), and nothing else lost its place.
    assert f"{manifest_id}/1" in await rows(console, "unnotified", box)
