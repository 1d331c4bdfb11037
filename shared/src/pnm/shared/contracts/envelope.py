"""CloudEvents 1.0 envelope, structured JSON mode."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pnm.shared.contracts.records import Record

SCHEMA_BASE = "urn:pnm:schema:"


class CloudEvent(BaseModel):
    """The envelope of every event on the wire; `id` is what consumers de-duplicate on."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: str = Field(default="1.0", pattern=r"^1\.0$")
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: datetime
    subject: str | None = None
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    correlationid: str | None = None
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)


def new_event(
    *,
    type: str,
    source: str,
    subject: str,
    record: Record,
    correlation_id: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> CloudEvent:
    """`data`: the record already dumped in JSON mode, when the caller has it (not dumped
    twice)."""
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=type,
        time=time or datetime.now(UTC),
        subject=subject,
        dataschema=SCHEMA_BASE + type_schema_name(record),
        correlationid=correlation_id,
        data=record.model_dump(mode="json") if data is None else data,
    )


def type_schema_name(record: Record) -> str:
    return type(record).__name__
