"""One line of a `pnm replay` input file: `{"type", "time", "data"}` (docs/replay-speed.md),
as the scenario generator and the demo write it (ScenarioEvent) and as the replay reads it.

A line is read in one pass by pydantic's JSON parser, the record's type chosen by `type`. A line
that pass refuses is read again the way the replay always read it (`json.loads`, then the
record), so that a refusal says exactly what it always said, and whatever that reading accepts
is still accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pnm.shared.contracts.records import (
    Arrival,
    EtaUpdate,
    FeedStatus,
    ManifestLine,
    PreNotification,
    Record,
)


@dataclass(frozen=True)
class ScenarioEvent:
    """One input as the replay file has it: `{"type", "time", "data"}`."""

    type: str  # "manifest.line" | "manifest.arrival" | "prenotification"
    time: datetime
    record: Record

    def to_replay(self) -> dict[str, object]:
        return {
            "type": self.type,
            "time": self.time.isoformat(),
            "data": self.record.model_dump(mode="json"),
        }

    def replay_line(self) -> str:
        """`to_replay` as one compact JSON line, the record serialised by pydantic directly: the
        same bytes as `json.dumps(to_replay(), ensure_ascii=False, separators=(",", ":"))`
        (the corpus test compares them), at under half the cost, for generated years."""
        data = self.record.model_dump_json()
        return (
            f'{{"type":{json.dumps(self.type)},"time":"{self.time.isoformat()}","data":{data}}}\n'
        )


RECORDS: dict[str, type[Record]] = {
    "manifest.line": ManifestLine,
    "manifest.arrival": Arrival,
    "manifest.eta": EtaUpdate,
    "prenotification": PreNotification,
    "prenotification.feed": FeedStatus,
}


def parse_time(value: Any, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as err:
        raise ValueError(f"{what} {value!r} is not an RFC 3339 timestamp") from err
    if parsed.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no UTC offset")
    return parsed


def parse_event(raw: bytes) -> tuple[str, datetime, Record]:
    """The type, time and record of a line; ValueError or pydantic's ValidationError (of the
    record, `data`) when it is malformed."""
    try:
        event = _EVENT.validate_json(raw)
    except ValidationError:
        return _parse_as_objects(raw)
    return event.type, parse_time(event.time, "time"), event.data


def _parse_as_objects(raw: bytes) -> tuple[str, datetime, Record]:
    try:
        entry = json.loads(raw)
    except RecursionError:
        raise ValueError("nested too deeply to be read") from None
    if not isinstance(entry, dict):
        raise ValueError("not a JSON object")
    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in RECORDS:
        raise ValueError(f"type {kind!r} is not one of {', '.join(RECORDS)}")
    at = parse_time(entry.get("time"), "time")
    return kind, at, RECORDS[kind].model_validate(entry.get("data"))


class _Event(BaseModel):
    # Other keys beside type, time and data have always been ignored.
    model_config = ConfigDict(extra="ignore", frozen=True)

    time: str


class _ManifestLineEvent(_Event):
    type: Literal["manifest.line"]
    data: ManifestLine


class _ArrivalEvent(_Event):
    type: Literal["manifest.arrival"]
    data: Arrival


class _EtaUpdateEvent(_Event):
    type: Literal["manifest.eta"]
    data: EtaUpdate


class _PreNotificationEvent(_Event):
    type: Literal["prenotification"]
    data: PreNotification


class _FeedStatusEvent(_Event):
    type: Literal["prenotification.feed"]
    data: FeedStatus


_EVENT: TypeAdapter[
    _ManifestLineEvent | _ArrivalEvent | _EtaUpdateEvent | _PreNotificationEvent | _FeedStatusEvent
] = TypeAdapter(
    Annotated[
        _ManifestLineEvent
        | _ArrivalEvent
        | _EtaUpdateEvent
        | _PreNotificationEvent
        | _FeedStatusEvent,
        Field(discriminator="type"),
    ]
)
