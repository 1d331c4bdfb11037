"""What the pre-notification service layer (`handlers`, `feeds`) asks of its storage, besides
what every intake asks (pnm.shared.intake.store): the current version of references, new
versions kept, each feed's state and emergency procedures, the reduced-check certificates.
PostgreSQL implements it in adapters/postgres_store.py, the unit tests in memory
(tests/unit/prenotification/prenotification_fakes.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pnm.shared.contracts.records import FeedStatus, PreNotification
from pnm.shared.intake.store import IntakeStore

# The statuses in which a reduced check's certificate is still awaited.
AWAITING_CERTIFICATE = ("submitted", "validated")


@dataclass(frozen=True)
class NotificationVersion:
    """An accepted version and how it came: the channel and the officer of a written entry."""

    record: PreNotification
    channel: str
    entered_by: str | None


@dataclass(frozen=True)
class FeedState:
    """What is kept of a feed; all None for a feed never heard of."""

    last_record_at: datetime | None = None
    last_heartbeat_at: datetime | None = None
    emergency_since: datetime | None = None
    emergency_declared_by: str | None = None
    note: str | None = None

    def status(self, system: str, now: datetime) -> FeedStatus:
        return FeedStatus(
            system=system,
            last_record_at=self.last_record_at,
            last_heartbeat_at=self.last_heartbeat_at,
            emergency=self.emergency_since is not None,
            emergency_since=self.emergency_since,
            emergency_declared_by=self.emergency_declared_by,
            note=self.note,
            at=now,
        )


@dataclass(frozen=True)
class DueCertificate:
    record: PreNotification
    due_at: datetime


class NotificationStore(IntakeStore, Protocol):
    async def current_notifications(self, references: Sequence[str]) -> dict[str, tuple[int, str]]:
        """The stored version and status of each reference that has one, locked until the
        caller commits."""

    async def add_versions(self, versions: Sequence[NotificationVersion], now: datetime) -> None:
        """Each is added to its reference's history (a version the history holds already stays
        as it is); the last of each reference becomes its current version, keeping when its
        certificate was registered or found overdue."""

    async def locked_feed(self, system: str) -> FeedState:
        """The feed's state (created empty when new), locked until the caller commits."""

    async def heartbeat(self, system: str, now: datetime) -> None:
        """The feed said it is alive."""

    async def start_emergency(
        self, system: str, declared_by: str, note: str | None, now: datetime
    ) -> None:
        """An emergency procedure runs for the feed from `now`, and is added to the list."""

    async def end_emergency(
        self, system: str, ended_by: str, note: str | None, now: datetime
    ) -> None:
        """The feed's running emergency procedure ends."""

    async def certificate_due(self, reference: str) -> tuple[datetime | None] | None:
        """When the reference's certificate is due (in a 1-tuple: None, not a reduced check),
        locked until the caller commits; None when there is no such pre-notification."""

    async def register_certificate(self, reference: str, at: datetime) -> None:
        """The original certificate arrived at `at`."""

    async def overdue_certificates(self, now: datetime, limit: int) -> list[DueCertificate]:
        """Up to `limit` certificates due before `now`, neither registered nor found overdue,
        of pre-notifications still `AWAITING_CERTIFICATE`, oldest due first; locked, those
        locked by another transaction skipped."""

    async def mark_overdue(self, references: Collection[str], now: datetime) -> None:
        """The certificates of these references were found overdue at `now`."""
