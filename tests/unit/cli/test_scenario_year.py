"""Several generated days in one file (`pnm scenario --days`): one time-ordered stream whose
lines, pre-notifications and expected statuses agree, made one day at a time; and days larger
than the vessel and flight catalogue."""

from __future__ import annotations

import gc
import json
import weakref
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from stdnum import iso6346

import pnm.cli.scenario.year as scenario_year
from pnm.cli.main import main
from pnm.cli.replay import RECORDS
from pnm.cli.scenario.catalogue import FLIGHTS, ROUTES
from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.scenario.plan import Continuity, DayOptions
from pnm.cli.scenario.year import write_days
from pnm.shared.contracts.records import DecisionStatus, ManifestLine
from pnm.testing.records import container

START = date(2026, 3, 9)


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_two_days_make_one_time_ordered_file_whose_counts_and_statuses_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events_path, expected_path = tmp_path / "days.jsonl", tmp_path / "days.expected.jsonl"
    main(
        [
            *("scenario", "--days", "2", "--lines", "400", "--seed", "4"),
            *("--date", START.isoformat(), "--output", str(events_path)),
            *("--expect", str(expected_path)),
        ]
    )
    out = capsys.readouterr().out
    events = _events(events_path)
    times = [datetime.fromisoformat(e["time"]) for e in events]
    assert times == sorted(times)
    for event in events:
        RECORDS[event["type"]].model_validate(event["data"])
    lines = {(e["data"]["manifest_id"], e["data"]["line_id"]) for e in events if _is_line(e)}
    expected = _events(expected_path)
    keys = [(row["manifest_id"], row["line_id"]) for row in expected]
    assert len(keys) == len(set(keys)) == len(lines) == 800
    assert set(keys) == lines
    ports = Counter(e["data"]["port_of_discharge"] for e in events if _is_line(e))
    assert set(ports) == {"NLRTM", "NLSPL"}
    notifications = [e["data"] for e in events if e["type"] == "prenotification"]
    references = {n["reference"] for n in notifications}
    assert f"800 manifest lines ({sum(map(_is_line, events))} line versions)" in out
    assert f"{len(references)} pre-notifications ({len(notifications)} versions)" in out
    assert references and all(n["version"] >= 1 for n in notifications)
    statuses = Counter(row["status"] for row in expected)
    assert set(statuses) <= {status.value for status in DecisionStatus}
    for status, count in statuses.items():
        assert f"  {status:24}{count:9}" in out
    # Scored at the file's end: the first day's calls have all arrived or are past ETA + grace.
    first_day = {row["status"] for row in expected if row["manifest_id"].endswith("20260309")}
    assert first_day and "awaiting_notification" not in first_day
    # One feed stream for both ports: a heartbeat per system and hour, not one per port.
    beats = Counter((e["time"], e["data"]["system"]) for e in events if _is_feed(e))
    assert max(beats.values()) == 1


def _is_line(event: dict[str, Any]) -> bool:
    return bool(event["type"] == "manifest.line")


def _is_feed(event: dict[str, Any]) -> bool:
    return bool(event["type"] == "prenotification.feed")


def test_consecutive_days_share_no_manifest_and_their_references_run_on() -> None:
    """Flights recur daily (tomorrow's KL0592 of one day is the next day's KL0592), and CHED
    reference sequences would restart at random every day: in one file, no manifest id or
    reference may mean two things."""
    options = DayOptions(continuity=Continuity())
    first = generate_day("schiphol", 3, START, 900, options=options)
    second = generate_day("schiphol", 4, START + timedelta(days=1), 900, options=options)
    manifests = [{line.manifest_id for line in day.facts.lines} for day in (first, second)]
    assert not manifests[0] & manifests[1]
    # A flight renumbered to keep it apart stays its airline's, from that airline's airports.
    for event in second.events:
        line = event.record
        if isinstance(line, ManifestLine):
            assert line.flight_number is not None
            airline = line.flight_number[:2]
            airports = {f.loading for f in FLIGHTS if f.number.startswith(airline)}
            assert line.place_of_loading in airports, line.flight_number
    compared = 0
    for kind in ("CHEDPP.", "CHEDP.", "CHEDA."):
        first_numbers, second_numbers = (
            [int(r.rsplit(".", 1)[1]) for r in day.facts.notices if r.startswith(kind)]
            for day in (first, second)
        )
        if first_numbers and second_numbers:
            assert max(first_numbers) < min(second_numbers), kind
            compared += 1
    assert compared


def test_days_are_made_one_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays about one day's: when a day is made, no earlier day is still held."""
    alive: list[weakref.ref[Day]] = []
    held: list[int] = []

    def one_at_a_time(*args: Any, **kwargs: Any) -> Day:
        gc.collect()
        held.append(sum(ref() is not None for ref in alive))
        day = generate_day(*args, **kwargs)
        alive.append(weakref.ref(day))
        return day

    monkeypatch.setattr(scenario_year, "generate_day", one_at_a_time)
    write_days(START, 4, 5, tmp_path / "e.jsonl", tmp_path / "x.jsonl", lines_per_day=200)
    # Schiphol first, then Rotterdam with Schiphol's notifications for the feeds: at most the
    # other kind of the same day is held.
    assert held == [0, 1] * 4


def test_a_day_larger_than_the_catalogue_gets_more_vessels_and_flights() -> None:
    ships = sum(len(route.vessels) for route in ROUTES)
    rotterdam = generate_day("rotterdam", 21, START, 4000)
    schiphol = generate_day("schiphol", 22, START, 1500)
    for day, catalogued in ((rotterdam, ships), (schiphol, len(FLIGHTS))):
        calls = {
            e.record.manifest_id: e.record for e in day.events if isinstance(e.record, ManifestLine)
        }
        assert len(calls) > catalogued
        names = {line.vessel_name or line.flight_number for line in calls.values()}
        assert len(names) == len(calls)  # one vessel or flight per call
    assert len(rotterdam.expected) == 4000 and len(schiphol.expected) == 1500


def test_the_controlled_share_sets_how_many_lines_need_a_notification(tmp_path: Path) -> None:
    none = write_days(START, 1, 6, tmp_path / "a", tmp_path / "b", controlled_share=0.0,
                      lines_per_day=300)  # fmt: skip
    assert none.references == 0 and none.statuses == {"not_controlled": 300}
    some = write_days(START, 1, 6, tmp_path / "c", tmp_path / "d", controlled_share=0.5,
                      lines_per_day=300)  # fmt: skip
    assert some.references > 0


def test_generated_container_numbers_carry_the_iso6346_check_digit() -> None:
    owners = {code for route in ROUTES for code in route.owner_codes} | {"PNMU", "BGDU"}
    for owner in sorted(owners):
        for serial in range(0, 1_000_000, 997):
            number = container(serial, owner)
            assert number[-1] == iso6346.calc_check_digit(number[:-1]), number
            assert iso6346.is_valid(number)
