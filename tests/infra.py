"""Real PostgreSQL and Kafka for the tests: testcontainers where a Docker engine runs,
otherwise the project's own scripts (embedded PostgreSQL wheel, Kafka from the Apache jars).
Failing to start either is an error, never a skip: CI must run these tests."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pnm.cli.kafka_broker import ScriptKafka

__all__ = ["Broker", "ScriptKafka"]
from pnm.cli.postgres import LocalPostgres, free_port
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import (
    Decision,
    DecisionStatus,
    FeedStatus,
    Reason,
    Regime,
    RegimeDecision,
)
from pnm.shared.contracts.topics import EventType
from pnm.shared.messaging.kafka_security import KafkaSecurity, kafka_client_options

T = TypeVar("T")
# Every service process the tests start inherits this (conftest sets it).
TEST_AUTH_SECRET = "pnm-tests-only-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def token(*roles: str, subject: str = "test") -> str:
    from pnm.shared.auth import mint_token

    return mint_token(TEST_AUTH_SECRET, subject=subject, roles=roles)


def bearer(*roles: str, subject: str = "test") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles, subject=subject)}"}


FEEDS = ("feed:client-import", "feed:vgc")
DMF = ("feed:dmf",)
OFFICER = ("customs-prearrival",)
TERMINAL = ("terminal:ECTDELTA",)
KAFKA_IMAGE = "apache/kafka:4.0.2"  # keep equal to deploy/kafka/pom.xml and docker-compose.yml


def docker_available() -> bool:
    if os.environ.get("PNM_TEST_NO_DOCKER") or shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@dataclass
class ContainerKafka:
    container: object

    @property
    def bootstrap(self) -> str:
        return str(self.container.get_bootstrap_server())  # type: ignore[attr-defined]

    def start(self) -> None:
        raise NotImplementedError("restarting a container broker keeps no fixed port")

    def stop(self) -> None:
        self.container.stop()  # type: ignore[attr-defined]


Broker = ScriptKafka | ContainerKafka


def start_kafka(tmp: Path) -> ScriptKafka | ContainerKafka:
    if docker_available():
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer(KAFKA_IMAGE).with_kraft()
        container.start()
        return ContainerKafka(container)
    return ScriptKafka(tmp / "kafka").start()


@dataclass
class Postgres:
    url: str
    stop: object


def start_postgres(tmp: Path) -> Postgres:
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:18", driver="asyncpg")
        container.start()
        return Postgres(container.get_connection_url(), container.stop)
    pg = LocalPostgres(tmp / "postgres", free_port(), database="postgres", durable=False).start()
    return Postgres(pg.url, pg.stop)


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 60,
    interval: float = 0.2,
    what: str = "condition",
    until: Callable[[T], bool] = bool,
) -> T:
    """Poll until `probe` returns a value that is not None and passes `until` (truthy, unless
    told); fail with `what` and the last value after `timeout`. Tests wait with this, never
    with a fixed sleep (CONTRIBUTING.md)."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: T | None = None
    while True:
        last = await probe()
        if last is not None and until(last):
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s (last: {last!r})")
        await asyncio.sleep(interval)


def logged(caplog: pytest.LogCaptureFixture, logger: str, message: str) -> int:
    """How many records `logger` has logged in this test so far whose message starts with
    `message`: the evidence that something met an outage and retried, for `eventually`."""
    return sum(1 for r in caplog.records if r.name == logger and r.getMessage().startswith(message))


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    expect: int,
    timeout: float = 30,
    security: KafkaSecurity | None = None,
    stamps: bool = False,
) -> list:  # type: ignore[type-arg]
    """Every record on `topic` from the beginning, once at least `expect` have arrived. The
    pre-notification relay's watermark stamps (docs/watermark.md) are records of their own,
    not counted nor returned unless `stamps`."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        **kafka_client_options(bootstrap, security or KafkaSecurity()),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list = []  # type: ignore[type-arg]
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expect and asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(r for r in batch if stamps or not _is_stamp(r.value))
        # Anything beyond `expect` that is already there counts too.
        for batch in (await consumer.getmany(timeout_ms=1000)).values():
            records.extend(r for r in batch if stamps or not _is_stamp(r.value))
    finally:
        await consumer.stop()
    return records


def _is_stamp(value: bytes | None) -> bool:
    try:
        envelope = json.loads(value or b"")
    except ValueError:
        return False  # not an event at all: the test reading it wants to see it
    return (
        isinstance(envelope, dict) and envelope.get("type") == EventType.PRENOTIFICATION_WATERMARK
    )


def consumed(service: str, topic: str, outcome: str) -> float:
    """The consumer counter of this process (read a baseline before, compare after)."""
    from pnm.shared.observability import EVENTS_CONSUMED

    return float(EVENTS_CONSUMED.labels(service, topic, outcome)._value.get())


def vgc_status(emergency: bool, at: datetime) -> FeedStatus:
    """VGC's feed as it reports itself at `at`: alive, in an emergency procedure or not."""
    return FeedStatus(
        system="vgc",
        last_record_at=at,
        last_heartbeat_at=at,
        emergency=emergency,
        emergency_since=at if emergency else None,
        at=at,
    )


def decision_record(
    manifest_id: str,
    line_id: str,
    *,
    number: int = 1,
    status: DecisionStatus = DecisionStatus.UNNOTIFIED,
    terminal: str | None = "ECTDELTA",
    containers: list[str] | None = None,
    regime: Regime = Regime.VET,
    reasons: list[Reason] | None = None,
    references: list[str] | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """A line's decision as the matcher makes it, for feeding its consumers without a matcher."""
    return Decision(
        manifest_id=manifest_id,
        line_id=line_id,
        line_version=1,
        decision_number=number,
        status=status,
        regimes=[regime],
        per_regime=[
            RegimeDecision(
                regime=regime,
                status=status,
                references=references or [],
                reasons=reasons or [],
            )
        ],
        references=references or [],
        reasons=[],
        explanation=[],
        indicator_set_version="test",
        decided_at=decided_at or datetime.now(UTC),
        terminal=terminal,
        containers=containers or [],
    )


def decision_event(manifest_id: str, line_id: str, **facts: Any) -> bytes:
    """A line's decision as the matcher publishes it (CloudEvent JSON), for feeding the holds
    service without a matcher; `facts` as `decision_record` takes them."""
    decided = decision_record(manifest_id, line_id, **facts)
    return new_event(
        type=EventType.DECISION_CHANGED,
        source="/test",
        subject=f"{manifest_id}/{line_id}",
        record=decided,
    ).to_json()


@dataclass(frozen=True)
class Standalone:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def demo_standalone(home: Path, stop_within: float) -> Iterator[Standalone]:
    """`pnm standalone --demo` as a user starts it, on a free port with its data in `home`;
    stopped with SIGTERM at the end, and it must stop cleanly (not killed by the signal)."""
    port = free_port()
    log_path = home / "standalone.log"
    command = ["standalone", "--demo", "--port", str(port), "--data-dir", str(home / "data")]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pnm.cli.main", *command],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
        try:
            yield Standalone(f"http://127.0.0.1:{port}", log_path, process)
        finally:
            process.terminate()
            process.wait(timeout=stop_within)
    assert process.returncode == 0, log_path.read_text()[-3000:]
