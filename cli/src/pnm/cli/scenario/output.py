"""A generated day written out: its events file (replay input: README.md, "Replay and
evaluation"; the records are `shared/schemas/*.schema.json`), its expected statuses, and the
counts `pnm scenario` prints (tests/data/corpus/README.md)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.scenario.plan import CONTROLLED_SHARE, DayKind, DayOptions, OutageKind
from pnm.cli.scenario.truth import STATUS_RANK

if TYPE_CHECKING:
    from pnm.cli.scenario.families import Family


def write_day(day: Day, events_path: Path, expected_path: Path) -> None:
    events_path.write_text("".join(event.replay_line() for event in day.events), encoding="utf-8")
    expected_path.write_text(_jsonl(day.expected), encoding="utf-8")


def _jsonl(rows: Iterable[Mapping[str, object]]) -> str:
    return "".join(
        json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows
    )


def run_scenario(
    kind: DayKind,
    seed: int,
    base: date,
    lines: int,
    outage: OutageKind,
    output: Path,
    expect: Path,
    controlled_share: float = CONTROLLED_SHARE,
    families: frozenset[Family] = frozenset(),
) -> None:
    options = DayOptions(controlled_share, families=families)
    day = generate_day(kind, seed, base, lines, outage, options)
    write_day(day, output, expect)
    statuses = Counter(row["status"] for row in day.expected)
    print(f"{len(day.events)} events, {len(day.expected)} manifest lines")
    for status in STATUS_RANK:
        print(f"  {status.value:24}{statuses[status.value]:6}")
    for situation, count in day.situations.items():
        print(f"  {situation}: {count}")
