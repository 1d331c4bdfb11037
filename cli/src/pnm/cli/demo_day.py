"""The day `pnm standalone --demo` opens on: seeded days of the scenario generator
(pnm.cli.scenario) at Rotterdam and at Schiphol, cut to a few lines per vessel call or
flight and moved in time so that their day ends now. Pure: no I/O, the clock is an argument.
docs/demo.md describes what the day contains."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pnm.cli.replay_input import ScenarioEvent
from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.scenario.plan import Continuity, DayKind, DayOptions
from pnm.cli.scenario.truth import LineTruth
from pnm.shared.calendar import AMSTERDAM
from pnm.shared.contracts.records import (
    Arrival,
    EtaUpdate,
    LineKey,
    ManifestLine,
    PreNotification,
    Record,
)

# Lines asked of the generator per port: enough for every kind of call it makes there (nine
# vessel calls, six flights); the demo keeps only a few lines of each (DemoSettings).
GENERATED_LINES: dict[DayKind, int] = {"rotterdam": 1530, "schiphol": 510}


class DemoSettings(BaseSettings):
    """What an operator may change about the demo day (PNM_DEMO_*)."""

    model_config = SettingsConfigDict(env_prefix="PNM_DEMO_", extra="ignore")

    # A seed whose day has blocks at all three Rotterdam terminals and discharging at one.
    seed: int = 10
    ship_lines: int = Field(default=20, ge=1, description="lines kept per vessel call")
    flight_lines: int = Field(default=12, ge=1, description="lines kept per flight")
    # The day's last minutes are not loaded at start but fed as their time comes.
    live_minutes: float = Field(default=30.0, ge=0)
    # Feeds say they are alive this often, so the matcher never sees them silent.
    heartbeat_seconds: float = Field(default=300.0, gt=0)
    # Terminals other than the story's reject this share of their instructions (seeded).
    terminal_reject_rate: float = Field(default=0.1, ge=0, le=1)
    terminal_delay_seconds: tuple[float, float] = (0.5, 3.0)


@dataclass(frozen=True)
class DemoDay:
    loaded: list[ScenarioEvent]  # fed at start: what happened up to now, in time order
    live: list[ScenarioEvent]  # fed as their time comes, in time order

    @property
    def events(self) -> list[ScenarioEvent]:
        return [*self.loaded, *self.live]


def summary(events: Iterable[ScenarioEvent]) -> str:
    """`N lines, M pre-notifications, K arrivals (...)`: distinct manifest lines, distinct
    pre-notification references and vessel calls or flights (one manifest each), per port."""
    lines: set[LineKey] = set()
    references: set[str] = set()
    calls: dict[str, str] = {}
    for event in events:
        record = event.record
        if isinstance(record, ManifestLine):
            lines.add((record.manifest_id, record.line_id))
            calls[record.manifest_id] = record.port_of_discharge
        elif isinstance(record, PreNotification):
            references.add(record.reference)
    per_port: dict[str, int] = defaultdict(int)
    for port in calls.values():
        per_port[port] += 1
    ports = ", ".join(f"{n} at {port}" for port, n in sorted(per_port.items()))
    return (
        f"{len(lines)} lines, {len(references)} pre-notifications, {len(calls)} arrivals ({ports})"
    )


def build_demo_day(now: datetime, settings: DemoSettings) -> DemoDay:
    """The generator's days at both ports for the Amsterdam date `live_minutes` from now,
    moved so that they end exactly then: what happened before now is loaded at start."""
    end = now + timedelta(minutes=settings.live_minutes)
    base = end.astimezone(AMSTERDAM).date()
    per_call: dict[DayKind, int] = {
        "rotterdam": settings.ship_lines,
        "schiphol": settings.flight_lines,
    }
    kept: list[ScenarioEvent] = []
    # The second port's day runs on from the first one's reference sequences (and keeps its
    # manifest ids apart), as the days of one file do: two notices never share a reference.
    one_stream = DayOptions(continuity=Continuity())
    for kind, generated in GENERATED_LINES.items():
        day = generate_day(kind, settings.seed, base, generated, options=one_stream)
        chosen = sample_lines(day, per_call[kind], random.Random(settings.seed))
        shift = end - day.facts.now
        kept.extend(shifted(event, shift) for event in events_of(day, chosen))
    kept.sort(key=lambda event: event.time)
    return DemoDay(
        loaded=[e for e in kept if e.time <= now], live=[e for e in kept if e.time > now]
    )


def sample_lines(day: Day, per_call: int, rng: random.Random) -> set[LineKey]:
    """One line of every status each call has, and others at random up to `per_call`. Lines
    one pre-notification covers (or claims) are kept together, so that every pre-notification
    kept finds all the lines it was written for."""
    status = {(row["manifest_id"], row["line_id"]): row["status"] for row in day.expected}
    together = _shared_notices(day.facts.lines)
    per_manifest: dict[str, list[LineKey]] = defaultdict(list)
    for line in day.facts.lines:
        per_manifest[line.manifest_id].append((line.manifest_id, line.line_id))
    chosen: set[LineKey] = set()
    for keys in per_manifest.values():
        rng.shuffle(keys)
        first_of_status: dict[str, LineKey] = {}
        for key in keys:
            first_of_status.setdefault(status[key], key)
        picked: set[LineKey] = set()
        for key in first_of_status.values():
            picked |= together[key]
        for key in keys:
            if len(picked) >= per_call:
                break
            picked |= together[key]
        chosen |= picked
    return chosen


def _shared_notices(lines: Iterable[LineTruth]) -> Mapping[LineKey, set[LineKey]]:
    """Per line, the lines linked to it through pre-notifications (itself included)."""
    lines_of: dict[str, set[LineKey]] = defaultdict(set)
    notices_of: dict[LineKey, set[str]] = defaultdict(set)
    for line in lines:
        key = (line.manifest_id, line.line_id)
        notices_of[key] = set()
        for regime in line.regimes:
            for claim in regime.claims:
                lines_of[claim.reference].add(key)
                notices_of[key].add(claim.reference)
    linked: dict[LineKey, set[LineKey]] = {}
    for start in notices_of:
        if start in linked:
            continue
        group, todo = {start}, [start]
        while todo:
            for reference in notices_of[todo.pop()]:
                for other in lines_of[reference] - group:
                    group.add(other)
                    todo.append(other)
        for key in group:
            linked[key] = group
    return linked


def events_of(day: Day, chosen: set[LineKey]) -> list[ScenarioEvent]:
    """The day's inputs that concern the chosen lines: their versions, the pre-notifications
    written for them, their calls' ETA updates and arrivals (a discharge only for their
    containers). Feed heartbeats are left out: the demo sends live ones."""
    references = {
        claim.reference
        for line in day.facts.lines
        if (line.manifest_id, line.line_id) in chosen
        for regime in line.regimes
        for claim in regime.claims
    }
    manifests = {manifest_id for manifest_id, _ in chosen}
    containers = {
        box
        for event in day.events
        if isinstance(event.record, ManifestLine)
        and (event.record.manifest_id, event.record.line_id) in chosen
        for box in event.record.containers
    }
    kept: list[ScenarioEvent] = []
    for event in day.events:
        record = event.record
        if isinstance(record, ManifestLine):
            keep = (record.manifest_id, record.line_id) in chosen
        elif isinstance(record, PreNotification):
            keep = record.reference in references
        elif isinstance(record, Arrival | EtaUpdate):
            keep = record.manifest_id in manifests
            if record.containers is not None:
                boxes = [box for box in record.containers if box in containers]
                update = {"containers": boxes}
                event = ScenarioEvent(event.type, event.time, record.model_copy(update=update))
                keep = keep and bool(boxes)
        else:
            keep = False
        if keep:
            kept.append(event)
    return kept


def shifted(event: ScenarioEvent, by: timedelta) -> ScenarioEvent:
    """The same input `by` later: its time and every timestamp in its record."""
    data = _shift_times(event.record.model_dump(), by)
    record: Record = type(event.record).model_validate(data)
    return ScenarioEvent(event.type, event.time + by, record)


def _shift_times(value: Any, by: timedelta) -> Any:
    if isinstance(value, datetime):
        return value + by
    if isinstance(value, dict):
        return {k: _shift_times(v, by) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_times(v, by) for v in value]
    return value
