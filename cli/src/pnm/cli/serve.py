"""Distributed mode: a service (or all four) in this process, on Kafka and PostgreSQL."""

from __future__ import annotations

import contextlib
import gc
import signal
from collections.abc import Awaitable, Callable, Iterator

import uvicorn

from pnm.cli.services import ALL
from pnm.shared.db import make_engine
from pnm.shared.messaging.kafka import GroupMembership
from pnm.shared.messaging.kafka_security import KafkaSecurity
from pnm.shared.migrations import upgrade
from pnm.shared.observability import configure_logging
from pnm.shared.runtime import Pipeline, RuntimeOptions
from pnm.shared.settings import ServiceSettings, service_settings

DEFAULT_PORTS = {
    "all": 8000,
    "prenotification": 8001,
    "manifest-ingest": 8002,
    "matcher": 8003,
    "holds": 8004,
    "console": 8005,
}


def runtime_options(settings: ServiceSettings) -> RuntimeOptions:
    return RuntimeOptions(
        relay_batch_size=settings.relay_batch_size,
        relay_idle_seconds=settings.relay_idle_seconds,
        relay_watermark_seconds=settings.relay_watermark_seconds,
        consumer_batch_size=settings.consumer_batch_size,
        consumer_max_attempts=settings.consumer_max_attempts,
        stuck_after_seconds=settings.consumer_stuck_seconds,
        membership=GroupMembership(
            instance_id=settings.consumer_instance_id,
            session_timeout_ms=settings.consumer_session_timeout_ms,
            lag_interval_seconds=settings.consumer_lag_interval_seconds,
        ),
        catching_up_above=settings.consumer_catching_up_lag,
    )


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM once it has shut down, which ends the process before
    the consumers, relays and an embedded PostgreSQL are stopped; this one does not."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def tune_garbage_collector() -> None:
    """A matcher batch allocates about a million short-lived objects beside tens of thousands
    of long-lived ones (cached facts). With the default threshold (700 allocations) the
    collector runs full passes over the long-lived ones many times per batch: a quarter of the
    batch time. Startup objects are frozen (never scanned again); young collections are rarer."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


async def serve_app(
    pipeline: Pipeline,
    host: str,
    port: int,
    before_stop: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM, then stop consumers and relays gracefully (after
    `before_stop`: work of the caller's that uses the pipeline)."""
    tune_garbage_collector()
    server = _Server(
        uvicorn.Config(pipeline.app, host=host, port=port, log_config=None, access_log=False)
    )
    try:
        await server.serve()
    finally:
        if before_stop is not None:
            await before_stop()
        await pipeline.stop()


async def run_serve(service: str, host: str | None, port: int | None) -> None:
    common, settings = service_settings(service)
    configure_logging(common.log_level)
    definitions = list(ALL.values()) if service == "all" else [ALL[service]]
    pipeline = Pipeline(
        definitions,
        database_url=settings.database_url or common.database_url,
        transport="kafka",
        kafka_bootstrap=settings.kafka_bootstrap or common.kafka_bootstrap,
        kafka_security=KafkaSecurity(),
        topic_prefix=common.kafka_topic_prefix,
        options=runtime_options(settings),
    )
    await pipeline.start()
    await serve_app(
        pipeline, host or settings.host, port or settings.port or DEFAULT_PORTS[service]
    )


async def run_migrate(services: list[str]) -> None:
    common, _ = service_settings("migrate")
    engine = make_engine(common.database_url)
    try:
        for name in services:
            await upgrade(engine, ALL[name])
            print(f"{name}: at head")
    finally:
        await engine.dispose()
