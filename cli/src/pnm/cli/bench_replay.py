"""`pnm bench --only replay`: `pnm replay` as an analyst runs it, a whole process from start to
its last decision, on a generated set of about LINES manifest lines against NOTIFICATIONS
pre-notifications, beside two readings of the same file in the same run: a bare parse
(`json.loads` of every line) and the replay's own reading (each line parsed and its record
validated, `replay_input.parse_event`, the least any replay must do); lines per second and the
replay's peak memory."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pnm.cli.replay_input import ScenarioEvent, parse_event
from pnm.cli.scenario.day import generate_day
from pnm.shared.contracts.records import ChedType, ManifestLine, PreNotification
from pnm.testing.records import container, prenotification

# A set of more lines is made of several consecutive Rotterdam days of corpus size (the set
# stays the one measured since the replay was first benchmarked; docs/year-generator.md makes
# larger days).
CORPUS_DAY_LINES = 2500
FIRST_DAY = date(2026, 3, 9)


@dataclass(frozen=True)
class ReplaySet:
    path: Path
    events: int
    lines: int  # distinct manifest lines
    notifications: int  # distinct pre-notification references


@dataclass(frozen=True)
class Reading:
    """The two baselines of a replay, each the whole file in this process."""

    parse_seconds: float  # json.loads of every line
    validated_seconds: float  # every line parsed and its record validated


@dataclass(frozen=True)
class ReplayTiming:
    """A file of events read twice in this process (the baselines), then replayed by `pnm
    replay` in its own."""

    reading: Reading
    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class ReplayFigures:
    replay_set: ReplaySet
    replayed: ReplayTiming


def replay_set(path: Path, lines: int, notifications: int, seed: int = 15) -> ReplaySet:
    """Consecutive generated Rotterdam days with `lines` lines in all, and as many background
    pre-notifications (for other ships, nobody's candidates) as bring the references up to
    `notifications`: the index a day's lines are matched against."""
    days = max(1, math.ceil(lines / CORPUS_DAY_LINES))
    events: list[ScenarioEvent] = []
    for n in range(days):
        day = generate_day("rotterdam", seed + n, FIRST_DAY + timedelta(days=n), lines // days)
        events += day.events
    references = {e.record.reference for e in events if isinstance(e.record, PreNotification)}
    events += _background(max(0, notifications - len(references)), random.Random(seed))
    events.sort(key=lambda e: e.time)
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event.to_replay(), separators=(",", ":")) + "\n")
    keys = {(r.manifest_id, r.line_id) for e in events if isinstance(r := e.record, ManifestLine)}
    notified = {r.reference for e in events if isinstance(r := e.record, PreNotification)}
    return ReplaySet(path, len(events), len(keys), len(notified))


def _background(count: int, rng: random.Random) -> list[ScenarioEvent]:
    start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) - timedelta(days=3)
    made = []
    for n in range(count):
        eta = start + timedelta(days=rng.uniform(2, 10))
        record = prenotification(
            f"CHEDPP.NL.2026.{9_000_000 + n:07d}",
            ched_type=ChedType.CHED_PP,
            cn_code="08061010",
            description="Table grapes, fresh",
            containers=[container(n * 7919 + 104729, owner="BGDU")],
            transport_document=f"MSCU{n:09d}",
            expected_arrival=eta,
        )
        made.append(
            ScenarioEvent("prenotification", eta - timedelta(days=rng.uniform(1, 3)), record)
        )
    return made


def reading(path: Path) -> Reading:
    started = time.perf_counter()
    with path.open("rb") as source:
        for raw in source:
            json.loads(raw)
    parsed = time.perf_counter()
    with path.open("rb") as source:
        for raw in source:
            parse_event(raw)
    return Reading(parsed - started, time.perf_counter() - parsed)


def print_reading(events: int, lines: int, r: Reading) -> None:
    for what, seconds in (
        ("bare parse (json.loads):", r.parse_seconds),
        ("read and validate:", r.validated_seconds),
    ):
        print(
            f"  {what:30}{events / seconds:10.0f} events/s "
            f"({seconds:.2f} s; {lines / seconds:.0f} lines/s)"
        )


def print_ratios(f: ReplayTiming) -> None:
    r = f.reading
    print(f"  {'ratio replay / bare parse:':30}{r.parse_seconds / f.seconds:10.3f}")
    print(f"  {'ratio replay / read+validate:':30}{r.validated_seconds / f.seconds:10.3f}")


def replay_process(path: Path) -> tuple[float, float]:
    """`pnm replay` in its own process: wall seconds and peak resident memory (MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pnm.cli.main", "replay", str(path), "--output", os.devnull],
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not all children's
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"pnm replay failed ({process.returncode}): {errors[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # kilobytes on Linux


def replayed(path: Path) -> ReplayTiming:
    baselines = reading(path)
    seconds, peak = replay_process(path)
    return ReplayTiming(baselines, seconds, peak)


def replay_figures(workdir: Path, lines: int, notifications: int) -> ReplayFigures:
    made = replay_set(workdir / "replay-set.jsonl", lines, notifications)
    return ReplayFigures(made, replayed(made.path))


def print_replay(f: ReplayFigures) -> None:
    s = f.replay_set
    size = s.path.stat().st_size / 1e6
    print(
        f"replay of {s.lines:,} manifest lines against {s.notifications:,} pre-notifications "
        f"({s.events:,} events, {size:.1f} MB), whole process:"
    )
    r = f.replayed
    print_reading(s.events, s.lines, r.reading)
    print(
        f"  {'pnm replay:':30}{s.lines / r.seconds:10.0f} lines/s "
        f"({r.seconds:.2f} s), peak memory {r.peak_rss_mb:.0f} MB"
    )
    print_ratios(r)
