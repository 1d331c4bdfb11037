"""Service layer for feed health, emergency procedures (docs/sources.md, "Emergency procedures
(seed 000)") and reduced-check certificates (docs/sources.md, "Reduced check of plants (seed 001
§5.1.3, §5.2.3)"), through the store (`store.NotificationStore`). The caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pnm.prenotification.handlers import SOURCE
from pnm.prenotification.store import NotificationStore
from pnm.shared.contracts.records import CertificateOverdue, FeedStatus
from pnm.shared.contracts.topics import COMPLIANCE, FEEDS, EventType

SYSTEMS = ("client-import", "vgc", "traces", "written")
System = Literal["client-import", "vgc", "traces", "written"]


class FeedConflict(ValueError):
    """An emergency procedure started twice, or ended when none runs."""


class UnknownPreNotification(LookupError):
    pass


async def heartbeat(store: NotificationStore, system: System, now: datetime) -> FeedStatus:
    await store.locked_feed(system)
    await store.heartbeat(system, now)
    status = (await store.locked_feed(system)).status(system, now)
    SOURCE.publish(store, FEEDS, system, EventType.FEED_HEARTBEAT, status)
    return status


async def emergency(
    store: NotificationStore,
    system: System,
    action: Literal["start", "end"],
    declared_by: str,
    note: str | None,
    now: datetime,
) -> FeedStatus:
    current = await store.locked_feed(system)
    if action == "start":
        if current.emergency_since is not None:
            raise FeedConflict(
                f"an emergency procedure for {system} runs since "
                f"{current.emergency_since:%Y-%m-%d %H:%M} UTC "
                f"(declared by {current.emergency_declared_by})"
            )
        await store.start_emergency(system, declared_by, note, now)
        kind = EventType.FEED_EMERGENCY_STARTED
    else:
        if current.emergency_since is None:
            raise FeedConflict(f"no emergency procedure for {system} is running")
        await store.end_emergency(system, declared_by, note, now)
        kind = EventType.FEED_EMERGENCY_ENDED
    status = (await store.locked_feed(system)).status(system, now)
    SOURCE.publish(store, FEEDS, system, kind, status)
    return status


async def register_certificate(
    store: NotificationStore, reference: str, at: datetime
) -> datetime | None:
    """Record that the original certificate arrived; returns when it was due (None: not a
    reduced check)."""
    due = await store.certificate_due(reference)
    if due is None:
        raise UnknownPreNotification(f"no pre-notification with reference {reference!r}")
    await store.register_certificate(reference, at)
    return due[0]


async def publish_overdue_certificates(
    store: NotificationStore, now: datetime, limit: int = 500
) -> int:
    overdue = await store.overdue_certificates(now, limit)
    for due in overdue:
        record = due.record
        finding = CertificateOverdue(
            reference=record.reference,
            ched_type=record.ched_type,
            importer=record.importer,
            expected_arrival=record.expected_arrival,
            due_at=due.due_at,
            detected_at=now,
        )
        SOURCE.publish(store, COMPLIANCE, record.reference, EventType.CERTIFICATE_OVERDUE, finding)
    await store.mark_overdue([due.record.reference for due in overdue], now)
    return len(overdue)
