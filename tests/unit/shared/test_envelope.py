"""The CloudEvents 1.0 envelope (structured JSON mode)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pnm.shared.contracts.envelope import SCHEMA_BASE, CloudEvent, new_event
from pnm.shared.contracts.records import Arrival, ManifestLine
from pnm.shared.contracts.topics import EventType
from pnm.testing.records import arrival, container, manifest_line

LINE = manifest_line(
    "M-1", "1", hs_code="020130", description="Frozen beef", containers=[container(1)]
)
SOURCE = "/pnm/manifest-ingest"


def event(**overrides: object) -> CloudEvent:
    arguments: dict[str, object] = {
        "type": EventType.MANIFEST_LINE_DECLARED,
        "source": SOURCE,
        "subject": LINE.key,
        "record": LINE,
    }
    arguments.update(overrides)
    return new_event(**arguments)  # type: ignore[arg-type]


def test_new_event_has_the_cloudevents_attributes() -> None:
    before = datetime.now(UTC)
    e = event()
    after = datetime.now(UTC)
    assert e.specversion == "1.0"
    assert uuid.UUID(e.id)
    assert e.source == SOURCE
    assert e.type == "nl.pnm.manifest.line.declared"
    assert e.subject == "M-1/1"
    assert e.datacontenttype == "application/json"
    assert e.dataschema == SCHEMA_BASE + "ManifestLine"
    assert e.time.tzinfo is not None
    assert before <= e.time <= after
    assert e.correlationid is None


def test_new_event_data_is_the_record_in_json_mode() -> None:
    e = event()
    assert e.data == LINE.model_dump(mode="json")
    assert isinstance(e.data["eta"], str)
    assert ManifestLine.model_validate(e.data) == LINE


def test_event_ids_are_unique() -> None:
    assert len({event().id for _ in range(50)}) == 50


def test_explicit_id_time_and_correlation() -> None:
    at = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    e = event(event_id="evt-1", time=at, correlation_id="corr-9")
    assert (e.id, e.time, e.correlationid) == ("evt-1", at, "corr-9")


def test_dataschema_follows_the_record_type() -> None:
    e = event(type=EventType.ARRIVAL, subject="M-1", record=arrival("M-1"))
    assert e.dataschema == SCHEMA_BASE + "Arrival"
    assert Arrival.model_validate(e.data) == arrival("M-1")


def test_json_round_trip() -> None:
    e = event(correlation_id="corr-1")
    raw = e.to_json()
    assert isinstance(raw, bytes)
    assert CloudEvent.from_json(raw) == e


def test_to_json_is_structured_mode_without_nulls() -> None:
    wire = json.loads(event().to_json())
    assert {"specversion", "id", "source", "type", "time", "subject", "datacontenttype"} <= set(
        wire
    )
    assert wire["specversion"] == "1.0"
    assert "correlationid" not in wire, "absent attributes are left out, not null"
    assert wire["data"]["manifest_id"] == "M-1"
    assert datetime.fromisoformat(wire["time"]).tzinfo is not None


def test_unknown_extension_attributes_survive_a_round_trip() -> None:
    wire = json.loads(event().to_json())
    wire["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    parsed = CloudEvent.from_json(json.dumps(wire).encode())
    assert json.loads(parsed.to_json())["traceparent"] == wire["traceparent"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b'{"specversion": "1.0", "id": "x", "source": "s", "type": "t"}',  # no time, no data
    ],
)
def test_from_json_on_garbage_raises_validation_error(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        CloudEvent.from_json(raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [("specversion", "0.3"), ("id", ""), ("source", ""), ("type", ""), ("time", "yesterday")],
)
def test_from_json_refuses_a_bad_attribute(field: str, value: str) -> None:
    wire = json.loads(event().to_json())
    wire[field] = value
    with pytest.raises(ValidationError):
        CloudEvent.from_json(json.dumps(wire).encode())


@settings(max_examples=50)
@given(
    source=st.text(min_size=1, max_size=30),
    subject=st.text(max_size=30),
    correlation=st.one_of(st.none(), st.text(max_size=20)),
    offset=st.integers(min_value=-(10**6), max_value=10**6),
)
def test_round_trip_property(
    source: str, subject: str, correlation: str | None, offset: int
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=offset, microseconds=offset % 999)
    e = event(source=source, subject=subject, correlation_id=correlation, time=at)
    assert CloudEvent.from_json(e.to_json()) == e
