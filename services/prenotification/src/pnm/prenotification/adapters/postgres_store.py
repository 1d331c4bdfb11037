"""The pre-notification service's store over its PostgreSQL tables (`store.NotificationStore`):
a bulk request or a file of ten thousand rows costs a handful of statements."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.prenotification.adapters.tables import (
    emergency_procedure,
    feed,
    prenotification,
    prenotification_version,
    rejections,
)
from pnm.prenotification.domain.reduced_check import certificate_due
from pnm.prenotification.store import (
    AWAITING_CERTIFICATE,
    DueCertificate,
    FeedState,
    NotificationVersion,
)
from pnm.shared.contracts.records import PreNotification
from pnm.shared.db import UnitOfWork, upsert
from pnm.shared.identifiers import container_number, transport_document_number
from pnm.shared.intake.postgres import FeedClock, PostgresIntakeStore

FEED_CLOCK = FeedClock(feed, "system", "last_record_at")


def feed_state(row: Row[Any]) -> FeedState:
    return FeedState(**{f.name: row._mapping[f.name] for f in fields(FeedState)})


class PostgresNotificationStore(PostgresIntakeStore):
    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow, rejections, FEED_CLOCK)

    async def current_notifications(self, references: Sequence[str]) -> dict[str, tuple[int, str]]:
        rows = await self.conn.execute(
            select(prenotification.c.reference, prenotification.c.version, prenotification.c.status)
            .where(prenotification.c.reference.in_(list(references)))
            .with_for_update()
        )
        return {r.reference: (r.version, r.status) for r in rows}

    async def add_versions(self, versions: Sequence[NotificationVersion], now: datetime) -> None:
        if not versions:
            return
        final = {v.record.reference: v.record for v in versions}
        await upsert(
            self.conn, prenotification, [_row(r, now) for r in final.values()], ["reference"]
        )
        await self.conn.execute(
            pg_insert(prenotification_version).on_conflict_do_nothing(),
            [_history(v) for v in versions],
        )

    async def locked_feed(self, system: str) -> FeedState:
        await self.conn.execute(pg_insert(feed).values(system=system).on_conflict_do_nothing())
        return feed_state(
            (
                await self.conn.execute(
                    select(feed).where(feed.c.system == system).with_for_update()
                )
            ).one()
        )

    async def _set_feed(self, system: str, **values: Any) -> None:
        await self.conn.execute(update(feed).where(feed.c.system == system).values(**values))

    async def heartbeat(self, system: str, now: datetime) -> None:
        await self._set_feed(system, last_heartbeat_at=now)

    async def start_emergency(
        self, system: str, declared_by: str, note: str | None, now: datetime
    ) -> None:
        await self._set_feed(
            system, emergency_since=now, emergency_declared_by=declared_by, note=note
        )
        await self.conn.execute(
            emergency_procedure.insert().values(
                system=system, started_at=now, started_by=declared_by, note=note
            )
        )

    async def end_emergency(
        self, system: str, ended_by: str, note: str | None, now: datetime
    ) -> None:
        await self._set_feed(system, emergency_since=None, emergency_declared_by=None, note=note)
        await self.conn.execute(
            update(emergency_procedure)
            .where(emergency_procedure.c.system == system, emergency_procedure.c.ended_at.is_(None))
            .values(ended_at=now, ended_by=ended_by)
        )

    async def certificate_due(self, reference: str) -> tuple[datetime | None] | None:
        row = (
            await self.conn.execute(
                select(prenotification.c.certificate_due_at)
                .where(prenotification.c.reference == reference)
                .with_for_update()
            )
        ).first()
        return None if row is None else (row.certificate_due_at,)

    async def register_certificate(self, reference: str, at: datetime) -> None:
        await self.conn.execute(
            update(prenotification)
            .where(prenotification.c.reference == reference)
            .values(certificate_registered_at=at)
        )

    async def overdue_certificates(self, now: datetime, limit: int) -> list[DueCertificate]:
        rows = await self.conn.execute(
            select(prenotification.c.record, prenotification.c.certificate_due_at)
            .where(
                prenotification.c.certificate_due_at < now,
                prenotification.c.certificate_registered_at.is_(None),
                prenotification.c.certificate_overdue_at.is_(None),
                prenotification.c.status.in_(AWAITING_CERTIFICATE),
            )
            .order_by(prenotification.c.certificate_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [
            DueCertificate(PreNotification.model_validate(r.record), r.certificate_due_at)
            for r in rows
        ]

    async def mark_overdue(self, references: Collection[str], now: datetime) -> None:
        if references:
            await self.conn.execute(
                update(prenotification)
                .where(prenotification.c.reference.in_(list(references)))
                .values(certificate_overdue_at=now)
            )


def _history(version: NotificationVersion) -> dict[str, Any]:
    record = version.record
    return {
        "reference": record.reference,
        "version": record.version,
        "status": record.status.value,
        "record": record.model_dump(mode="json"),
        "channel": version.channel,
        "entered_by": version.entered_by,
    }


def _row(record: PreNotification, now: datetime) -> dict[str, Any]:
    due = certificate_due(record)
    return {
        "reference": record.reference,
        "version": record.version,
        "system": record.system,
        "status": record.status.value,
        "record": record.model_dump(mode="json"),
        "received_at": now,
        "raw_reference": record.raw_reference,
        "ched_type": record.ched_type.value,
        "bcp": record.bcp,
        "submitted_at": record.submitted_at,
        "expected_arrival": record.expected_arrival,
        "importer_name": record.importer.name,
        "containers": sorted({container_number(c).value for c in record.containers}),
        "transport_document": transport_document_number(record.transport_document)
        if record.transport_document
        else None,
        "on_time": record.lead_time.on_time if record.lead_time else None,
        "flagged": bool(record.flags),
        "entered_by": record.entered_by,
        "certificate_due_at": due,
        "updated_at": now,
    }
