"""Service layer for feed health, emergency procedures (docs/sources.md, "Emergency procedures
(seed 000)") and reduced-check certificates (docs/sources.md, "Reduced check of plants (seed 001
§5.1.3, §5.2.3)"). The caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.prenotification.adapters.tables import emergency_procedure, feed, prenotification
from pnm.shared.contracts.records import CertificateOverdue, FeedStatus, PreNotification
from pnm.shared.contracts.topics import COMPLIANCE, FEEDS, EventType
from pnm.shared.db import UnitOfWork
from pnm.shared.messaging.source import EventSource

SOURCE = EventSource("/pnm/prenotification")
SYSTEMS = ("client-import", "vgc", "traces", "written")
System = Literal["client-import", "vgc", "traces", "written"]


class FeedConflict(ValueError):
    """An emergency procedure started twice, or ended when none runs."""


class UnknownPreNotification(LookupError):
    pass


def _status(row: Row[Any] | None, system: str, now: datetime) -> FeedStatus:
    return FeedStatus(
        system=system,
        last_record_at=row.last_record_at if row else None,
        last_heartbeat_at=row.last_heartbeat_at if row else None,
        emergency=bool(row and row.emergency_since),
        emergency_since=row.emergency_since if row else None,
        emergency_declared_by=row.emergency_declared_by if row else None,
        note=row.note if row else None,
        at=now,
    )


async def _locked_feed(uow: UnitOfWork, system: str) -> Row[Any]:
    await uow.conn.execute(pg_insert(feed).values(system=system).on_conflict_do_nothing())
    return (
        await uow.conn.execute(select(feed).where(feed.c.system == system).with_for_update())
    ).one()


async def heartbeat(uow: UnitOfWork, system: System, now: datetime) -> FeedStatus:
    await _locked_feed(uow, system)
    await uow.conn.execute(
        update(feed).where(feed.c.system == system).values(last_heartbeat_at=now)
    )
    status = _status(await _locked_feed(uow, system), system, now)
    SOURCE.publish(uow, FEEDS, system, EventType.FEED_HEARTBEAT, status)
    return status


async def emergency(
    uow: UnitOfWork,
    system: System,
    action: Literal["start", "end"],
    declared_by: str,
    note: str | None,
    now: datetime,
) -> FeedStatus:
    current = await _locked_feed(uow, system)
    if action == "start":
        if current.emergency_since is not None:
            raise FeedConflict(
                f"an emergency procedure for {system} runs since "
                f"{current.emergency_since:%Y-%m-%d %H:%M} UTC "
                f"(declared by {current.emergency_declared_by})"
            )
        await uow.conn.execute(
            update(feed)
            .where(feed.c.system == system)
            .values(emergency_since=now, emergency_declared_by=declared_by, note=note)
        )
        await uow.conn.execute(
            emergency_procedure.insert().values(
                system=system, started_at=now, started_by=declared_by, note=note
            )
        )
        kind = EventType.FEED_EMERGENCY_STARTED
    else:
        if current.emergency_since is None:
            raise FeedConflict(f"no emergency procedure for {system} is running")
        await uow.conn.execute(
            update(feed)
            .where(feed.c.system == system)
            .values(emergency_since=None, emergency_declared_by=None, note=note)
        )
        await uow.conn.execute(
            update(emergency_procedure)
            .where(emergency_procedure.c.system == system, emergency_procedure.c.ended_at.is_(None))
            .values(ended_at=now, ended_by=declared_by)
        )
        kind = EventType.FEED_EMERGENCY_ENDED
    status = _status(await _locked_feed(uow, system), system, now)
    SOURCE.publish(uow, FEEDS, system, kind, status)
    return status


async def statuses(conn: AsyncConnection, now: datetime) -> list[FeedStatus]:
    rows = {r.system: r for r in await conn.execute(select(feed))}
    return [_status(rows.get(system), system, now) for system in SYSTEMS]


async def register_certificate(uow: UnitOfWork, reference: str, at: datetime) -> datetime | None:
    """Record that the original certificate arrived; returns when it was due (None: not a
    reduced check)."""
    row = (
        await uow.conn.execute(
            select(prenotification.c.certificate_due_at)
            .where(prenotification.c.reference == reference)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise UnknownPreNotification(f"no pre-notification with reference {reference!r}")
    await uow.conn.execute(
        update(prenotification)
        .where(prenotification.c.reference == reference)
        .values(certificate_registered_at=at)
    )
    due: datetime | None = row.certificate_due_at
    return due


async def publish_overdue_certificates(uow: UnitOfWork, now: datetime, limit: int = 500) -> int:
    rows = (
        await uow.conn.execute(
            select(
                prenotification.c.reference,
                prenotification.c.record,
                prenotification.c.certificate_due_at,
            )
            .where(
                prenotification.c.certificate_due_at < now,
                prenotification.c.certificate_registered_at.is_(None),
                prenotification.c.certificate_overdue_at.is_(None),
                prenotification.c.status.in_(("submitted", "validated")),
            )
            .order_by(prenotification.c.certificate_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        record = PreNotification.model_validate(row.record)
        finding = CertificateOverdue(
            reference=record.reference,
            ched_type=record.ched_type,
            importer=record.importer,
            expected_arrival=record.expected_arrival,
            due_at=row.certificate_due_at,
            detected_at=now,
        )
        SOURCE.publish(uow, COMPLIANCE, record.reference, EventType.CERTIFICATE_OVERDUE, finding)
    if rows:
        await uow.conn.execute(
            update(prenotification)
            .where(prenotification.c.reference.in_([r.reference for r in rows]))
            .values(certificate_overdue_at=now)
        )
    return len(rows)
