"""The committed corpus days as the scenario generator makes them, and what the tests of the
generator (tests/unit/cli/test_scenario_days.py, test_scenario_families.py) read them with."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pnm.cli.scenario.day import Day, generate_day
from pnm.cli.scenario.families import FAMILIES
from pnm.cli.scenario.plan import DayKind, DayOptions, OutageKind
from pnm.shared.contracts.records import ManifestLine, PreNotification

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CORPUS = Path(__file__).parent / "data" / "corpus"
# name: (kind, seed, date, lines, outage), as tests/data/corpus/README.md regenerates them (with
# every issue-16 family)
DAYS: dict[str, tuple[DayKind, int, str, int, OutageKind]] = {
    "rotterdam-2026-03-10": ("rotterdam", 1, "2026-03-10", 1500, "none"),
    "schiphol-2026-03-11": ("schiphol", 2, "2026-03-11", 800, "recovered"),
    "rotterdam-2026-04-27": ("rotterdam", 3, "2026-04-27", 1000, "ongoing"),
}


@cache
def corpus_day(name: str) -> Day:
    kind, seed, day, lines, outage = DAYS[name]
    options = DayOptions(families=frozenset(FAMILIES))
    return generate_day(kind, seed, date.fromisoformat(day), lines, outage, options)


def local(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    """A moment of 2026, Amsterdam time, in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM).astimezone(UTC)


def expected_of(day: Day) -> dict[tuple[str, str], str]:
    return {(row["manifest_id"], row["line_id"]): row["status"] for row in day.expected}


def normal(identifier: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", identifier.upper())


def near(a: str, b: str) -> bool:
    """Equal after normalising, or one substitution, insertion, deletion or adjacent swap."""
    a, b = normal(a), normal(b)
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) != len(b):
        short, long = sorted((a, b), key=len)
        return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diffs) <= 1:
        return True
    i, j = diffs[0], diffs[-1]
    return len(diffs) == 2 and j == i + 1 and (a[i], a[j]) == (b[j], b[i])


def latest(day: Day) -> tuple[dict[str, ManifestLine], dict[str, PreNotification]]:
    """Each line's latest version, and each notification's."""
    lines: dict[str, ManifestLine] = {}
    notifications: dict[str, PreNotification] = {}
    for event in day.events:
        record = event.record
        if isinstance(record, ManifestLine):
            key = f"{record.manifest_id}/{record.line_id}"
            if key not in lines or record.version > lines[key].version:
                lines[key] = record
        elif isinstance(record, PreNotification):
            notifications[record.reference] = record  # versions arrive in order
    return lines, notifications
