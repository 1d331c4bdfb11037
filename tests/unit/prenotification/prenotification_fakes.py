"""The pre-notification service's store (pnm.prenotification.store.NotificationStore) in memory,
behaving as adapters/postgres_store.py does: one current version per reference (the last of a
batch), its certificate's due time computed by the same domain rule and its registration and
overdue finding kept across versions; the history keyed by reference and version (a version kept
already stays as it is); one state per feed, whose last record is the intake's feed clock."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from intake_fakes import MemoryIntakeStore

from pnm.prenotification.domain.reduced_check import certificate_due
from pnm.prenotification.store import (
    AWAITING_CERTIFICATE,
    DueCertificate,
    FeedState,
    NotificationVersion,
)
from pnm.shared.contracts.records import PreNotification


@dataclass
class KeptNotification:
    """The columns of a `prenotification` row the service layer reads or changes."""

    record: PreNotification
    certificate_due_at: datetime | None
    certificate_registered_at: datetime | None = None
    certificate_overdue_at: datetime | None = None


@dataclass
class Procedure:
    system: str
    started_at: datetime
    started_by: str
    note: str | None
    ended_at: datetime | None = None
    ended_by: str | None = None


class MemoryNotificationStore(MemoryIntakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.notifications: dict[str, KeptNotification] = {}
        self.history: dict[tuple[str, int], NotificationVersion] = {}
        self.feeds: dict[str, FeedState] = {}
        self.procedures: list[Procedure] = []

    # The intake's feed clock is the feed table's last record (pnm.shared.intake.postgres).

    def last_from(self, feed: str) -> datetime | None:
        return self.feeds.get(feed, FeedState()).last_record_at

    def heard_from(self, feed: str, now: datetime) -> None:
        self.feeds[feed] = replace(self.feeds.get(feed, FeedState()), last_record_at=now)

    async def current_notifications(self, references: Sequence[str]) -> dict[str, tuple[int, str]]:
        return {
            r: (kept.record.version, kept.record.status.value)
            for r in references
            if (kept := self.notifications.get(r)) is not None
        }

    async def add_versions(self, versions: Sequence[NotificationVersion], now: datetime) -> None:
        for version in versions:
            record = version.record
            self.history.setdefault((record.reference, record.version), version)
        for record in {v.record.reference: v.record for v in versions}.values():
            before = self.notifications.get(record.reference)
            kept = KeptNotification(record, certificate_due(record))
            if before is not None:  # the upsert leaves these columns as they are
                kept.certificate_registered_at = before.certificate_registered_at
                kept.certificate_overdue_at = before.certificate_overdue_at
            self.notifications[record.reference] = kept

    async def locked_feed(self, system: str) -> FeedState:
        return self.feeds.setdefault(system, FeedState())

    async def heartbeat(self, system: str, now: datetime) -> None:
        if system in self.feeds:
            self.feeds[system] = replace(self.feeds[system], last_heartbeat_at=now)

    async def start_emergency(
        self, system: str, declared_by: str, note: str | None, now: datetime
    ) -> None:
        if system in self.feeds:
            self.feeds[system] = replace(
                self.feeds[system],
                emergency_since=now,
                emergency_declared_by=declared_by,
                note=note,
            )
        self.procedures.append(Procedure(system, now, declared_by, note))

    async def end_emergency(
        self, system: str, ended_by: str, note: str | None, now: datetime
    ) -> None:
        if system in self.feeds:
            self.feeds[system] = replace(
                self.feeds[system], emergency_since=None, emergency_declared_by=None, note=note
            )
        for procedure in self.procedures:
            if procedure.system == system and procedure.ended_at is None:
                procedure.ended_at, procedure.ended_by = now, ended_by

    async def certificate_due(self, reference: str) -> tuple[datetime | None] | None:
        kept = self.notifications.get(reference)
        return None if kept is None else (kept.certificate_due_at,)

    async def register_certificate(self, reference: str, at: datetime) -> None:
        if reference in self.notifications:
            self.notifications[reference].certificate_registered_at = at

    async def overdue_certificates(self, now: datetime, limit: int) -> list[DueCertificate]:
        due = [
            DueCertificate(kept.record, kept.certificate_due_at)
            for kept in self.notifications.values()
            if kept.certificate_due_at is not None
            and kept.certificate_due_at < now
            and kept.certificate_registered_at is None
            and kept.certificate_overdue_at is None
            and kept.record.status.value in AWAITING_CERTIFICATE
        ]
        return sorted(due, key=lambda d: d.due_at)[:limit]

    async def mark_overdue(self, references: Collection[str], now: datetime) -> None:
        for reference in references:
            if reference in self.notifications:
                self.notifications[reference].certificate_overdue_at = now
