"""`pnm replay`: recorded inputs through the matcher's domain code with the clock driven by the
file (format in contracts.md); optionally scored against expected statuses."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.memory import InMemoryMatcher
from pnm.shared.contracts.records import Arrival, DecisionStatus, ManifestLine, PreNotification

RECORDS: dict[str, type[ManifestLine] | type[Arrival] | type[PreNotification]] = {
    "manifest.line": ManifestLine,
    "manifest.arrival": Arrival,
    "prenotification": PreNotification,
}


class ReplayInputError(ValueError):
    def __init__(self, path: Path, number: int, reason: str) -> None:
        super().__init__(f"{path}:{number}: {reason}")


def _parse_time(value: Any, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as err:
        raise ValueError(f"{what} {value!r} is not an RFC 3339 timestamp") from err
    if parsed.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no UTC offset")
    return parsed


def replay(path: Path, until: datetime | None) -> InMemoryMatcher:
    matcher = InMemoryMatcher(shipped_indicator_set())
    last: datetime | None = None
    with path.open() as source:
        for number, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
                if not isinstance(entry, dict):
                    raise ValueError("not a JSON object")
                kind = entry.get("type")
                if kind not in RECORDS:
                    raise ValueError(f"type {kind!r} is not one of {', '.join(RECORDS)}")
                at = _parse_time(entry.get("time"), "time")
                record = RECORDS[kind].model_validate(entry.get("data"))
            except ValidationError as err:
                raise ReplayInputError(path, number, _first_error(err)) from err
            except ValueError as err:
                raise ReplayInputError(path, number, str(err)) from err
            last = at
            if isinstance(record, ManifestLine):
                matcher.line(record, at)
            elif isinstance(record, PreNotification):
                matcher.prenotification(record, at)
            else:
                matcher.arrival(record, at)
    end = until or last
    if end is not None:
        matcher.advance(end)
    return matcher


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    return f"data.{field}: {first['msg']} ({err.error_count()} error(s))"


def write_decisions(matcher: InMemoryMatcher, out: TextIO) -> None:
    for key in sorted(matcher.decisions):
        out.write(matcher.decisions[key].model_dump_json() + "\n")


def evaluate(matcher: InMemoryMatcher, expect: Path, out: TextIO) -> None:
    """Precision, recall and F1 per status, the `unnotified` flag, and a confusion matrix."""
    pairs: list[tuple[str, str]] = []
    with expect.open() as source:
        for number, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                key = (row["manifest_id"], row["line_id"])
                expected = DecisionStatus(row["status"]).value
            except (ValueError, KeyError, TypeError) as err:
                raise ReplayInputError(
                    expect, number, f"expected {{manifest_id, line_id, status}}: {err}"
                ) from err
            decision = matcher.decisions.get(key)
            pairs.append((expected, decision.status.value if decision else "missing"))
    statuses = [s.value for s in DecisionStatus]
    counts = Counter(pairs)
    out.write(f"{'status':24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}\n")
    for status in statuses:
        tp = counts[(status, status)]
        predicted = sum(n for (_, got), n in counts.items() if got == status)
        support = sum(n for (want, _), n in counts.items() if want == status)
        if not predicted and not support:
            continue
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.write(f"{status:24}{precision:10.3f}{recall:10.3f}{f1:10.3f}{support:9}\n")
    flagged = {"unnotified"}
    tp = sum(n for (w, g), n in counts.items() if w in flagged and g in flagged)
    fp = sum(n for (w, g), n in counts.items() if w not in flagged and g in flagged)
    fn = sum(n for (w, g), n in counts.items() if w in flagged and g not in flagged)
    out.write(f"unnotified flags: {tp} right, {fp} false, {fn} missed of {len(pairs)} lines\n")
    seen = [s for s in [*statuses, "missing"] if any(s in pair for pair in counts)]
    out.write("confusion (rows expected, columns decided)\n")
    out.write(" " * 24 + "".join(f"{s[:10]:>11}" for s in seen) + "\n")
    for want in seen:
        out.write(f"{want:24}" + "".join(f"{counts[(want, got)]:11}" for got in seen) + "\n")


def run_replay(path: Path, until: str | None, output: Path | None, expect: Path | None) -> int:
    try:
        until_time = _parse_time(until, "--until") if until else None
        matcher = replay(path, until_time)
        if output:
            with output.open("w") as out:
                write_decisions(matcher, out)
        else:
            write_decisions(matcher, sys.stdout)
        if expect:
            evaluate(matcher, expect, sys.stderr if output is None else sys.stdout)
    except (ReplayInputError, ValueError, OSError) as err:
        print(f"pnm replay: {err}", file=sys.stderr)
        return 2
    return 0
