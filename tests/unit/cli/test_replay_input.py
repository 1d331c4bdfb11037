"""A replay line read in one pass (`parse_event`) gives the records and the refusals that reading
it as Python objects first (`json.loads`, then the record) always gave."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from pnm.cli.bench_replay import replay_set
from pnm.cli.demo_events import demo_events
from pnm.cli.replay import RECORDS, _first_error
from pnm.cli.replay_input import parse_event, parse_time
from pnm.cli.scenario.day import generate_day
from pnm.shared.contracts.records import Record


def _as_objects(raw: bytes) -> tuple[str, datetime, Record]:
    """How the replay read a line before `parse_event`: the oracle of these tests."""
    entry = json.loads(raw)
    if not isinstance(entry, dict):
        raise ValueError("not a JSON object")
    kind = entry.get("type")
    if kind not in RECORDS:
        raise ValueError(f"type {kind!r} is not one of {', '.join(RECORDS)}")
    at = parse_time(entry.get("time"), "time")
    return kind, at, RECORDS[kind].model_validate(entry.get("data"))


def _refusal(read: Callable[[bytes], object], raw: bytes) -> str:
    """The message the replay shows for the line, as `replay` words it."""
    try:
        read(raw)
    except ValidationError as err:
        return _first_error(err)
    except ValueError as err:
        return str(err)
    raise AssertionError(f"accepted: {raw!r}")


def _lines() -> list[bytes]:
    events = [*demo_events(), *generate_day("rotterdam", 15, date(2026, 3, 9), 300).events]
    return [json.dumps(e.to_replay()).encode() for e in events]


def test_every_generated_event_reads_as_before() -> None:
    lines = _lines()
    assert {json.loads(line)["type"] for line in lines} == set(RECORDS)
    for raw in lines:
        assert parse_event(raw) == _as_objects(raw)


def test_the_bench_set_reads_as_before(tmp_path: Path) -> None:
    made = replay_set(tmp_path / "set.jsonl", 200, 400)
    with made.path.open("rb") as source:
        for raw in source:
            assert parse_event(raw) == _as_objects(raw)


LINE = next(e for e in map(json.loads, _lines()) if e["type"] == "manifest.line")


def _line(**changes: object) -> bytes:
    entry = {**LINE, **changes}
    return json.dumps(entry, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _goods(description: str) -> bytes:
    data = {**LINE["data"], "goods": [{**LINE["data"]["goods"][0], "description": description}]}
    return _line(data=data)


MALFORMED = [
    b"not json",
    b"[1, 2]",
    b'{"type": "manifest.wrong", "time": "2026-01-01T00:00:00Z", "data": {}}',
    b'{"type": "manifest.arrival", "time": "yesterday", "data": {}}',
    b'{"type": "manifest.arrival", "time": 20260101, "data": {}}',
    b'{"type": "manifest.arrival", "time": "2026-01-01T00:00:00", "data": {}}',
    b'{"type": "manifest.arrival", "time": "2026-01-01T00:00:00Z", "data": {"manifest_id": "M"}}',
    b'{"type": "manifest.arrival", "time": "2026-01-01T00:00:00Z"}',
    _line(time="2026-01-01"),
    _goods("beef\x00"),  # written as \u0000
    _goods("beef\ud800"),  # a lone surrogate written as such in UTF-8 (json.loads reads it)
    json.dumps({**LINE, "data": {**LINE["data"], "containers": ["\udfff"]}}).encode(),
    _line(data={**LINE["data"], "goods": [{**LINE["data"]["goods"][0], "gross_mass_kg": 1e999}]}),
    _line(data={**LINE["data"], "eta": "0001-01-01T00:00:00+14:00"}),
    _line(data={**LINE["data"], "extra": 1}),
    _line(data={**LINE["data"], "manifest_id": ""}),
    b"\xff" + _line(),
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_a_malformed_line_is_refused_as_before(raw: bytes) -> None:
    assert _refusal(parse_event, raw) == _refusal(_as_objects, raw)


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({**LINE, "note": "\ud800"}).encode(),  # pydantic's parser refuses the escape
        _line(note="\ud800"),  # and the surrogate written in UTF-8
    ],
)
def test_what_only_reading_as_objects_accepts_is_still_accepted(raw: bytes) -> None:
    # Keys beside type, time and data were always ignored, whatever they hold.
    assert parse_event(raw) == _as_objects(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": ["manifest.line"], "time": "2026-01-01T00:00:00Z", "data": {}}',
        b'{"type": {}, "time": "2026-01-01T00:00:00Z", "data": {}}',
    ],
)
def test_a_type_that_is_no_text_is_refused_not_raised(raw: bytes) -> None:
    with pytest.raises(ValueError, match=r"is not one of manifest\.line"):
        parse_event(raw)


def test_a_line_nested_too_deeply_is_refused_not_raised() -> None:
    raw = b'{"type": "manifest.line", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_event(raw)
