"""JSON logs with a correlation id, Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        cid = correlation_id.get()
        if cid:
            entry["correlation_id"] = cid
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_fields(**fields: object) -> dict[str, object]:
    """`logger.info(msg, extra=log_fields(k=v))`: structured fields in the JSON line."""
    return {"fields": fields}


EVENTS_PUBLISHED = Counter(
    "pnm_events_published_total", "Events published by the outbox relay", ["service", "topic"]
)
EVENTS_CONSUMED = Counter(
    "pnm_events_consumed_total",
    "Events taken from a topic, by outcome (applied, duplicate, unprocessable, dead_lettered)",
    ["service", "topic", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "pnm_handler_seconds", "Time to apply a batch of events", ["service", "topic"]
)
OUTBOX_PENDING = Gauge("pnm_outbox_pending", "Outbox rows not yet published", ["service"])
CONSUMER_LAG = Gauge(
    "pnm_consumer_lag",
    "Messages a consumer group has not yet applied, behind the broker's log end",
    ["group", "topic", "partition"],
)
DLQ_MESSAGES = Counter(
    "pnm_dead_lettered_total", "Messages sent to a dead-letter topic", ["service", "topic"]
)


class Heartbeat:
    """A loop that beats while it is healthy; readiness fails when a beat is overdue."""

    def __init__(self, name: str, stale_after: float, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.stale_after = stale_after
        self._clock = clock
        self._last = clock()
        self.stopped = False

    def beat(self) -> None:
        self._last = self._clock()

    def healthy(self) -> bool:
        return not self.stopped and self._clock() - self._last <= self.stale_after
