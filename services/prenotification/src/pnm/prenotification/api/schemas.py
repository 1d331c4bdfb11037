"""Request and response bodies of the pre-notification API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from pnm.prenotification.intake import IntakeOut, IssueOut
from pnm.shared.contracts.limits import PRENOTIFICATION_RECORDS_MAX, Instant
from pnm.shared.contracts.records import FeedStatus
from pnm.shared.http import raw_records


class Refusal(BaseModel):
    detail: str
    issues: list[IssueOut] = []
    rejection_id: int | None = None


class BulkIn(BaseModel):
    # Raw objects: each record is validated on its own, so one bad record refuses only itself.
    records: list[Any] = raw_records("PreNotification", PRENOTIFICATION_RECORDS_MAX)


class BulkOut(BaseModel):
    created: int
    amended: int
    ignored: int
    rejected: int
    results: list[IntakeOut]


class VersionOut(BaseModel):
    version: int
    status: str
    channel: str
    entered_by: str | None
    received_at: datetime
    record: dict[str, Any]


class EmergencyIn(BaseModel):
    action: Literal["start", "end"]
    note: str | None = Field(default=None, max_length=2000)


class CertificateIn(BaseModel):
    received_at: Instant | None = None


class CertificateOut(BaseModel):
    reference: str
    registered_at: datetime
    due_at: datetime | None
    late: bool


FeedsOut = list[FeedStatus]
