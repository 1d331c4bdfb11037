"""Consecutive seeded days in one replay file: up to a year of Dutch traffic, streamed.

Each day (Rotterdam vessel calls and Schiphol flights, docs/year-generator.md) is generated on
its own, written sorted to a temporary file and dropped, so memory stays about one day's; the
day files are then merged by time into the output. A day's events reach back several days
(notifications come before the ETA), so the merge is what makes the file one time-ordered
stream. The expected statuses are those at the end of the file, when `pnm replay` scores them.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.scenario.plan import END_OF_DAY, Continuity, DayKind, DayOptions
from pnm.cli.scenario.truth import STATUS_RANK, expected_statuses
from pnm.shared.calendar import AMSTERDAM
from pnm.shared.contracts.records import ManifestLine, PreNotification

# A day of Dutch traffic for a year of 5 million lines (about 13,700 a day): the vessel calls
# at Rotterdam and the flights at Schiphol, in this proportion.
LINES_PER_DAY = 13_750
SCHIPHOL_SHARE = 1_750 / 13_750
# The share of manifest lines under a risk indicator in a generated year. A single day uses
# 40 % (it is made to show every situation); a year is made to have the mix of about
# one pre-notification per ten lines (docs/year-generator.md).
YEAR_CONTROLLED_SHARE = 0.12


@dataclass
class DaysSummary:
    days: int = 0
    events: int = 0
    lines: int = 0  # distinct manifest lines
    line_events: int = 0  # versions of them received
    notification_events: int = 0
    references: int = 0  # distinct pre-notifications
    statuses: Counter[str] = field(default_factory=Counter)


def day_sizes(lines: int, kinds: Sequence[DayKind]) -> list[tuple[DayKind, int]]:
    """A day's lines split over its kinds: Schiphol takes its share, Rotterdam the rest."""
    if list(kinds) != ["rotterdam", "schiphol"]:
        return [(kinds[0], lines)]
    schiphol = max(1, round(lines * SCHIPHOL_SHARE))
    return [("rotterdam", lines - schiphol), ("schiphol", schiphol)]


def write_days(
    start: date,
    days: int,
    seed: int,
    events_path: Path,
    expected_path: Path,
    *,
    lines_per_day: int = LINES_PER_DAY,
    kinds: Sequence[DayKind] = ("rotterdam", "schiphol"),
    controlled_share: float = YEAR_CONTROLLED_SHARE,
) -> DaysSummary:
    """`days` consecutive days from `start`, one at a time, into one time-ordered events file,
    and every line's expected status at the file's end (the last day's end)."""
    if days < 1:
        raise ValueError("at least one day")
    sizes = day_sizes(lines_per_day, kinds)
    if any(lines < 1 for _, lines in sizes):
        raise ValueError(f"{lines_per_day} lines a day are too few for {' and '.join(kinds)}")
    end = datetime.combine(start + timedelta(days=days - 1), END_OF_DAY, AMSTERDAM)
    summary = DaysSummary(days=days)
    continuity = Continuity()
    with tempfile.TemporaryDirectory(dir=events_path.parent, prefix=".days-") as tmp:
        parts = [Path(tmp) / f"{n:05d}.jsonl" for n in range(days)]
        with expected_path.open("w", encoding="utf-8") as expected:
            for n, part in enumerate(parts):
                options = DayOptions(controlled_share=controlled_share, continuity=continuity)
                made = _one_day(start + timedelta(days=n), seed * 100_003 + 2 * n, sizes, options)
                _write_day(made, part, expected, end, summary)
                del made  # before the next day is made: memory stays one day's
        _merge(parts, events_path)
    return summary


def _one_day(
    base: date, seed: int, sizes: list[tuple[DayKind, int]], options: DayOptions
) -> list[Day]:
    """The kinds of one day; the first kind's feed heartbeats carry the others' notifications
    too (Client Import and VGC are national feeds, not one per port)."""
    others = [
        generate_day(kind, seed + n, base, lines, options=replace(options, feeds=False))
        for n, (kind, lines) in enumerate(sizes[1:], start=1)
    ]
    carried = [event for day in others for event in day.events]
    kind, lines = sizes[0]
    first = generate_day(
        kind, seed, base, lines, options=replace(options, feeds_also_carried=carried)
    )
    return [*others, first]


def _write_day(
    made: list[Day], part: Path, expected: IO[str], end: datetime, summary: DaysSummary
) -> None:
    """The day's events, sorted, to its own file; its lines' statuses at the file's `end`."""
    events = sorted((event for day in made for event in day.events), key=lambda e: e.time)
    with part.open("w", encoding="utf-8") as out:
        out.writelines(event.replay_line() for event in events)
    summary.events += len(events)
    for day in made:
        summary.lines += len(day.facts.lines)
        summary.references += len(day.facts.notices)
        # Lines of earlier days are scored at the file's end, as the replay has them then.
        rows = expected_statuses(replace(day.facts, now=end.astimezone(UTC)))
        summary.statuses.update(row["status"] for row in rows)
        expected.writelines(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
    summary.line_events += sum(isinstance(e.record, ManifestLine) for e in events)
    summary.notification_events += sum(isinstance(e.record, PreNotification) for e in events)


def _merge(parts: list[Path], events_path: Path) -> None:
    """The day files, each sorted by time, merged by time (a tie keeps the earlier day first)."""
    with contextlib.ExitStack() as stack, events_path.open("w", encoding="utf-8") as out:
        sources = [stack.enter_context(part.open(encoding="utf-8")) for part in parts]
        out.writelines(heapq.merge(*sources, key=event_time))


TIME_FIELD = '"time":"'


def event_time(line: str) -> datetime:
    """The `time` of a replay line as written here (`{"type":…,"time":"…",…}`), without parsing
    the whole line."""
    start = line.index(TIME_FIELD) + len(TIME_FIELD)
    return datetime.fromisoformat(line[start : line.index('"', start)])


def run_days(
    start: date,
    days: int,
    seed: int,
    events_path: Path,
    expected_path: Path,
    lines_per_day: int,
    kinds: Sequence[DayKind],
    controlled_share: float,
) -> None:
    """`pnm scenario --days`: write the days and print what they hold."""
    try:
        made = write_days(
            start,
            days,
            seed,
            events_path,
            expected_path,
            lines_per_day=lines_per_day,
            kinds=kinds,
            controlled_share=controlled_share,
        )
    except ValueError as err:
        raise SystemExit(f"pnm scenario: {err}") from None
    print(
        f"{made.days} days, {made.events} events, {made.lines} manifest lines "
        f"({made.line_events} line versions), {made.references} pre-notifications "
        f"({made.notification_events} versions)"
    )
    for status in STATUS_RANK:
        print(f"  {status.value:24}{made.statuses[status.value]:9}")
