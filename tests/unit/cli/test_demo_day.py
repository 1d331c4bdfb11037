"""The demo day of `pnm standalone --demo` (pnm.cli.demo_day, pnm.cli.demo_feed): the
generator's days cut and moved to now, and how they are sent."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from pnm.cli.demo_day import (
    DemoDay,
    DemoSettings,
    build_demo_day,
    events_of,
    sample_lines,
    shifted,
    summary,
)
from pnm.cli.demo_events import demo_events
from pnm.cli.demo_feed import messages
from pnm.cli.demo_terminals import behaviour_of
from pnm.cli.replay_input import ScenarioEvent
from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.standalone import own_base_url
from pnm.shared.contracts.records import Arrival, ManifestLine, PreNotification
from pnm.testing.records import arrival

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture(scope="module")
def rotterdam() -> Day:
    return generate_day("rotterdam", 10, NOW.date(), 1530)


@pytest.fixture(scope="module")
def demo_day() -> DemoDay:
    return build_demo_day(NOW, DemoSettings(live_minutes=30))


def test_the_day_ends_live_minutes_from_now_and_what_is_loaded_has_happened(
    demo_day: DemoDay,
) -> None:
    day = demo_day
    assert day.loaded and day.live
    assert all(e.time <= NOW for e in day.loaded)
    assert all(NOW < e.time <= NOW + timedelta(minutes=30) for e in day.live)
    assert [e.time for e in day.events] == sorted(e.time for e in day.events)
    for event in day.events:  # intake refuses a notice submitted after it was received
        if isinstance(event.record, PreNotification):
            assert event.record.submitted_at <= event.time


def test_the_day_has_ships_and_flights_due_within_two_days_and_some_in(demo_day: DemoDay) -> None:
    day = demo_day
    etas: dict[str, dict[str, datetime]] = defaultdict(dict)
    for event in day.events:
        if isinstance(event.record, ManifestLine):
            etas[event.record.port_of_discharge][event.record.manifest_id] = event.record.eta
    assert set(etas) == {"NLRTM", "NLSPL"}
    for port, calls in etas.items():
        assert any(NOW < eta <= NOW + timedelta(hours=48) for eta in calls.values()), port
        assert any(eta < NOW for eta in calls.values()), port
    arrived = {e.record.manifest_id for e in day.loaded if isinstance(e.record, Arrival)}
    assert any(m.startswith("NLRTM") for m in arrived)
    assert any(m.startswith("NLSPL") for m in arrived)


def test_a_few_hundred_lines_at_most(demo_day: DemoDay) -> None:
    lines = {
        (e.record.manifest_id, e.record.line_id)
        for e in demo_day.events
        if isinstance(e.record, ManifestLine)
    }
    assert 150 <= len(lines) <= 400


def test_the_sample_keeps_every_status_of_every_call(rotterdam: Day) -> None:
    chosen = sample_lines(rotterdam, 5, random.Random(1))
    status = {(r["manifest_id"], r["line_id"]): r["status"] for r in rotterdam.expected}
    per_call: dict[str, set[str]] = defaultdict(set)
    for (manifest_id, _), value in status.items():
        per_call[manifest_id].add(value)
    kept: dict[str, set[str]] = defaultdict(set)
    for key in chosen:
        kept[key[0]].add(status[key])
    assert kept == per_call


def test_a_kept_notice_keeps_every_line_it_was_written_for(rotterdam: Day) -> None:
    chosen = sample_lines(rotterdam, 5, random.Random(1))
    kept = events_of(rotterdam, chosen)
    references = {e.record.reference for e in kept if isinstance(e.record, PreNotification)}
    claimed_by: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for line in rotterdam.facts.lines:
        for regime in line.regimes:
            for claim in regime.claims:
                claimed_by[claim.reference].add((line.manifest_id, line.line_id))
    assert references
    for reference in references:
        assert claimed_by[reference] <= chosen, reference
    lines = {
        (e.record.manifest_id, e.record.line_id) for e in kept if isinstance(e.record, ManifestLine)
    }
    assert lines == chosen
    assert not [e for e in kept if e.type == "prenotification.feed"]  # live heartbeats instead


def test_a_discharge_names_only_containers_of_kept_lines(rotterdam: Day) -> None:
    chosen = sample_lines(rotterdam, 5, random.Random(1))
    kept = events_of(rotterdam, chosen)
    boxes = {b for e in kept if isinstance(e.record, ManifestLine) for b in e.record.containers}
    discharges = [e.record for e in kept if isinstance(e.record, Arrival) and e.record.containers]
    assert discharges
    for record in discharges:
        assert record.containers and set(record.containers) <= boxes


def test_shifting_moves_every_timestamp(rotterdam: Day) -> None:
    notice = next(e for e in rotterdam.events if isinstance(e.record, PreNotification))
    later = shifted(notice, timedelta(hours=-5))
    assert isinstance(later.record, PreNotification) and isinstance(notice.record, PreNotification)
    assert later.time == notice.time - timedelta(hours=5)
    assert later.record.submitted_at == notice.record.submitted_at - timedelta(hours=5)
    assert later.record.expected_arrival == notice.record.expected_arrival - timedelta(hours=5)
    assert later.record.reference == notice.record.reference


def test_the_size_counts_distinct_lines_notices_and_calls() -> None:
    assert summary(demo_events()) == ("3 lines, 1 pre-notifications, 1 arrivals (1 at NLRTM)")


def test_notices_go_before_the_lines_of_their_stretch_and_arrivals_keep_their_place() -> None:
    notice, beef, _, shirts, arrived = demo_events()
    other = ScenarioEvent("manifest.arrival", NOW, arrival("OTHER", NOW))
    sent = list(messages([beef, notice, arrived, shirts, other]))
    assert [path for path, _ in sent] == [
        "/prenotification/prenotifications/bulk",
        "/manifest-ingest/lines",
        "/manifest-ingest/arrivals",
        "/manifest-ingest/lines",
        "/manifest-ingest/arrivals",
    ]
    assert sent[1][1] == {"lines": [beef.record.model_dump(mode="json")]}


def test_the_storys_terminal_never_rejects_and_the_others_sometimes_do() -> None:
    settings = DemoSettings(terminal_reject_rate=0.5)
    assert behaviour_of("ECTDELTA", settings, reliable="ECTDELTA").reject_rate == 0
    other = behaviour_of("RWG", settings, reliable="ECTDELTA")
    assert other.reject_rate == 0.5
    assert other == behaviour_of("RWG", settings, reliable="ECTDELTA")  # seeded: repeatable


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),
        ("::", "http://127.0.0.1:8000"),
        ("localhost", "http://127.0.0.1:8000"),
        ("10.1.2.3", "http://10.1.2.3:8000"),
        ("::1", "http://[::1]:8000"),
    ],
)
def test_the_console_reaches_the_apis_on_the_standalones_own_address(host: str, url: str) -> None:
    assert own_base_url(host, 8000) == url


def test_the_two_ports_never_share_a_reference() -> None:
    """Found when `pnm standalone` refused to start on 2026-12-07 late in the evening (the demo
    day of 8 December): the ports' days numbered their pre-notifications independently from one
    seed, and on that date both handed out the same reference. The second day now runs on from
    the first one's sequences, as the days of one file do."""
    late = datetime(2026, 12, 7, 22, 55, tzinfo=UTC)
    day = build_demo_day(late, DemoSettings(live_minutes=30))
    ports: dict[str, set[str]] = defaultdict(set)
    for event in [*day.loaded, *day.live]:
        if isinstance(event.record, PreNotification):
            ports[event.record.reference].add(event.record.bcp)
    assert ports and all(len(bcps) == 1 for bcps in ports.values())
