"""The matcher's event handlers: each validates its event and adds it to the transaction's
unit of work (`service_layer.batch.Batch`); once, before the transaction commits, the service
layer keeps the inputs, decides the lines they affect and the changed decisions are published
(`service_layer.service.apply`)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge

from pnm.matcher.adapters.postgres_store import PostgresStore
from pnm.matcher.domain.watermark import PartitionMark
from pnm.matcher.service_layer import service
from pnm.matcher.service_layer.batch import Batch
from pnm.matcher.settings import decision_settings
from pnm.shared.clock import Clock
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import (
    Arrival,
    CaseChanged,
    Decision,
    EtaUpdate,
    FeedStatus,
    ManifestLine,
    PreNotification,
    Watermark,
    line_key,
)
from pnm.shared.contracts.topics import DECISIONS, EventType
from pnm.shared.db import UnitOfWork
from pnm.shared.messaging.source import EventSource
from pnm.shared.observability import correlation_id

SOURCE = EventSource("/pnm/matcher")
DECISION_STEPS = Counter(
    "pnm_matcher_decision_steps_total",
    "Decision steps by how they ran: locked (under the lock throughout), checked (decided "
    "before the lock, nothing read had changed) or redone (decided again under the lock)",
    ["mode"],
)
WATERMARK_AGE = Gauge(
    "pnm_matcher_prenotification_watermark_age_seconds",
    "Per partition of the pre-notification topic: how old the latest watermark this process "
    "consumed is (blocks wait until the lowest has passed their moment)",
    ["partition"],
)


def publish(uow: UnitOfWork, applied: service.Applied) -> None:
    """Stage the changed decisions in the outbox, each with the cause of the input that
    made it."""
    if applied.mode is not None:
        DECISION_STEPS.labels(applied.mode).inc()
    for decision, cause in applied.decisions:
        publish_decision(uow, decision, cause)


def publish_decision(
    uow: UnitOfWork,
    decision: Decision,
    cause: str | None,
    payload: dict[str, Any] | None = None,
) -> None:
    """`payload`: the decision already dumped in JSON mode, when the caller has it."""
    key = line_key(decision.manifest_id, decision.line_id)
    SOURCE.publish(
        uow,
        DECISIONS,
        key,
        EventType.DECISION_CHANGED,
        decision,
        correlation_id=cause,
        data=payload,
    )


def batch_of(uow: UnitOfWork, clock: Clock) -> Batch:
    """The transaction's unit of work, applied once before it commits."""
    batch: Batch | None = uow.state.get("matcher.batch")
    if batch is None:
        batch = uow.state["matcher.batch"] = Batch()

        async def apply(uow: UnitOfWork) -> None:
            applied = await service.apply(
                uow.state.pop("matcher.batch"), PostgresStore(uow.conn), clock, decision_settings()
            )
            publish(uow, applied)

        uow.before_commit("matcher.apply", apply)
    return batch


async def on_manifest_line(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = ManifestLine.model_validate(event.data)
    batch_of(uow, clock).add_line(record, event.data, correlation_id.get())


async def on_prenotification(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = PreNotification.model_validate(event.data)
    batch_of(uow, clock).add_notification(record, event.data, clock(), correlation_id.get())


async def on_notification_linked(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """Customs linked a written pre-notification to the line's case: the line quotes the
    case's references from now on (docs/cases.md), so it is decided again at once."""
    case = CaseChanged.model_validate(event.data)
    batch_of(uow, clock).links.append((case, correlation_id.get()))


async def ignored(uow: UnitOfWork, event: CloudEvent) -> None:
    """An event type of a topic the matcher reads that does not concern it."""


async def on_arrival(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = Arrival.model_validate(event.data)
    batch_of(uow, clock).add_arrival(record, correlation_id.get())


async def on_eta_update(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = EtaUpdate.model_validate(event.data)
    batch_of(uow, clock).add_eta_update(record, clock(), correlation_id.get())


async def on_feed_status(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """A feed's health changed or it showed life: lines held back for an outage are looked
    at again (those still degraded stay held; the rest get their real status)."""
    status = FeedStatus.model_validate(event.data)
    batch_of(uow, clock).feed_statuses.append((status, correlation_id.get()))


async def on_watermark(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """The pre-notification service has published every pre-notification committed before
    the watermark on this partition: kept (only a later one replaces it), and lines whose block
    waits for it are looked at again."""
    stamp = Watermark.model_validate(event.data)
    batch_of(uow, clock).watermarks.append(
        PartitionMark(stamp.partition, stamp.partitions, stamp.watermark)
    )
    at = stamp.watermark.timestamp()
    WATERMARK_AGE.labels(str(stamp.partition)).set_function(lambda: time.time() - at)
