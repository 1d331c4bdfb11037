from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, settings
from infra import TEST_AUTH_SECRET, Broker, Postgres, start_kafka, start_postgres

from pnm.cli.postgres import free_port
from pnm.cli.topics import create_topics

os.environ["PNM_AUTH_SECRET"] = TEST_AUTH_SECRET

# Hypothesis's "too slow" check times the generation of examples: on a loaded 2-core machine it
# fails tests whose rules hold. The suite makes no timing assertions; neither does Hypothesis.
settings.register_profile("pnm", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pnm")

BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last. Playwright's sync API runs an event loop in the main thread
    while its session lasts, and pytest-asyncio cannot start one beside it: an async test after
    a browser test would fail. Their demo system, started for the first of them, then does not
    idle beside the rest of the suite either."""
    items.sort(key=lambda item: BROWSER_TESTS in item.path.parents)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    server = start_postgres(tmp_path_factory.mktemp("pg"))
    yield server
    server.stop()  # type: ignore[operator]


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    broker = start_kafka(tmp_path_factory.mktemp("kafka"))
    yield broker
    broker.stop()


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
async def database_url(postgres_server: Postgres) -> AsyncIterator[str]:
    """A fresh, empty database per test: migrations run from nothing every time."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_plain_dsn(postgres_server.url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = postgres_server.url.rpartition("/")
    yield f"{base}/{name}"


@pytest.fixture
async def topic_prefix(kafka: Broker) -> str:
    """Topics of their own per test, so no test reads another's events."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    await create_topics(kafka.bootstrap, prefix)
    return prefix


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


# A standalone system (`pnm standalone`, embedded PostgreSQL, in-process transport) per test
# module, for the suites that throw many requests at every service's public API.
@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("standalone")
    port = free_port()
    with open(tmp / "standalone.log", "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pnm.cli.main",
                "standalone",
                "--port",
                str(port),
                "--data-dir",
                str(tmp / "data"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # Anything still in flight is a reconciliation gap until it settles.
            env={**os.environ, "PNM_RECONCILIATION_GRACE_SECONDS": "0"},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.3)
            else:
                raise RuntimeError((tmp / "standalone.log").read_text()[-3000:])
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
