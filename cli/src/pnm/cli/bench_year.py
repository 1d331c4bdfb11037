"""`pnm bench --only year`: `pnm replay` on a generated year of Dutch traffic (or fewer days),
a whole process from start to its last decision, beside the two readings of the same file in
the same run (`bench_replay.reading`): lines, events, seconds, lines per second and the
replay's peak memory.

The year is made by `write_days` (docs/year-generator.md) and kept under `var/year/`: making it
takes longer than replaying it should, so a later run reuses it. A set is only reused when its
summary was written, which happens after the events file is complete.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pnm.cli.bench_replay import ReplayTiming, print_ratios, print_reading, replayed
from pnm.cli.scenario.year import LINES_PER_DAY, YEAR_CONTROLLED_SHARE, write_days

YEAR_START = date(2026, 1, 1)
YEAR_SEED = 15
YEAR_CACHE = Path("var/year")


@dataclass(frozen=True)
class YearSet:
    path: Path
    days: int
    events: int
    lines: int  # distinct manifest lines
    references: int  # distinct pre-notifications
    notification_events: int
    generated_seconds: float | None  # None: reused from an earlier run


@dataclass(frozen=True)
class YearFigures:
    year_set: YearSet
    replayed: ReplayTiming


def year_set(days: int, lines_per_day: int = LINES_PER_DAY, cache: Path = YEAR_CACHE) -> YearSet:
    """The generated set of `days` days from YEAR_START, made now or reused from `cache`."""
    name = (
        f"year-{YEAR_START}-{days}d-{lines_per_day}l-share{YEAR_CONTROLLED_SHARE}-seed{YEAR_SEED}"
    )
    path, summary = cache / f"{name}.jsonl", cache / f"{name}.summary.json"
    if path.exists() and summary.exists():
        counts = json.loads(summary.read_text())
        return YearSet(path=path, generated_seconds=None, **counts)
    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    made = write_days(
        YEAR_START,
        days,
        YEAR_SEED,
        path,
        cache / f"{name}.expected.jsonl",
        lines_per_day=lines_per_day,
    )
    counts = {
        "days": made.days,
        "events": made.events,
        "lines": made.lines,
        "references": made.references,
        "notification_events": made.notification_events,
    }
    summary.write_text(json.dumps(counts))
    return YearSet(path=path, generated_seconds=time.perf_counter() - started, **counts)


def year_figures(
    days: int, lines_per_day: int = LINES_PER_DAY, cache: Path = YEAR_CACHE
) -> YearFigures:
    made = year_set(days, lines_per_day, cache)
    return YearFigures(made, replayed(made.path))


def print_year(f: YearFigures) -> None:
    s = f.year_set
    size = s.path.stat().st_size / 1e6
    made = (
        f"generated in {s.generated_seconds:.0f} s"
        if s.generated_seconds is not None
        else f"reused {s.path}"
    )
    print(
        f"replay of {s.days} generated days: {s.lines:,} manifest lines against "
        f"{s.references:,} pre-notifications ({s.events:,} events, {size:,.1f} MB; {made}), "
        "whole process:"
    )
    r = f.replayed
    print_reading(s.events, s.lines, r.reading)
    print(
        f"  {'pnm replay:':30}{s.lines / r.seconds:10.0f} lines/s "
        f"({s.events / r.seconds:.0f} events/s, {r.seconds:.2f} s), "
        f"peak memory {r.peak_rss_mb:.0f} MB"
    )
    print_ratios(r)
