"""`pnm replay`: recorded inputs through the matcher's service layer with the clock driven by the
file (format in contracts.md); optionally scored against expected statuses."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from pnm.cli.progress import Progress
from pnm.cli.replay_input import RECORDS as RECORDS
from pnm.cli.replay_input import parse_event
from pnm.cli.replay_input import parse_time as _parse_time
from pnm.matcher.adapters.indicator_data import load_indicator_set, shipped_indicator_set
from pnm.matcher.adapters.memory_store import MemoryStore
from pnm.matcher.domain.indicators import IndicatorSet, IndicatorSetError
from pnm.matcher.service_layer.replay import Replay
from pnm.shared.contracts.records import Decision, DecisionStatus


class ReplayInputError(ValueError):
    def __init__(self, path: Path, number: int, reason: str) -> None:
        super().__init__(f"{path}:{number}: {reason}")


@dataclass(frozen=True)
class Replayed:
    indicators: IndicatorSet
    decisions: dict[tuple[str, str], Decision]


def replay(
    path: Path,
    until: datetime | None,
    indicators: IndicatorSet | None = None,
    progress: Progress | None = None,
) -> Replayed:
    """The file's inputs through the matcher's service layer over a store in memory."""
    chosen = indicators or shipped_indicator_set()
    store = MemoryStore(chosen)
    # The store grows to millions of objects that live to the end: the collector would walk
    # them again and again (about as long as reading the file). Collected far less often.
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(200_000, 50, 1_000)
    try:
        asyncio.run(_replay(path, until, Replay(lambda: store), progress))
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
    return Replayed(chosen, store.decisions_made)


async def _replay(
    path: Path, until: datetime | None, matcher: Replay, progress: Progress | None
) -> None:
    last: datetime | None = None
    read = events = lines = 0
    with path.open("rb") as source:
        for number, raw in enumerate(source, start=1):
            read += len(raw)
            if not raw.strip():
                continue
            try:
                kind, at, record = parse_event(raw)
            except ValidationError as err:
                raise ReplayInputError(path, number, _first_error(err)) from err
            except ValueError as err:
                raise ReplayInputError(path, number, str(err)) from err
            last = at
            await matcher.receive(record, at)
            events += 1
            lines += kind == "manifest.line"
            if progress is not None:
                progress.update(read, events, lines)
    end = until or last
    if end is not None:
        await matcher.advance(end)
    if progress is not None:
        progress.finish(events, lines)


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    return f"data.{field}: {first['msg']} ({err.error_count()} error(s))"


def write_decisions(replayed: Replayed, out: TextIO) -> None:
    for key in sorted(replayed.decisions):
        out.write(replayed.decisions[key].model_dump_json() + "\n")


@dataclass(frozen=True)
class StatusScore:
    status: str
    precision: float
    recall: float
    f1: float
    support: int


# The statuses whose effect is a hold (README, status table).
HOLDING = frozenset({DecisionStatus.UNNOTIFIED.value, DecisionStatus.INVALID_NOTIFICATION.value})


@dataclass(frozen=True)
class Scorecard:
    """Decided against expected statuses: (expected, decided) per line."""

    pairs: list[tuple[str, str]]

    @property
    def counts(self) -> Counter[tuple[str, str]]:
        return Counter(self.pairs)

    @property
    def holds(self) -> tuple[int, int, int]:
        """Lines held that should be, lines that should be held, lines held: a hold is a hold
        whichever holding status gives it."""
        should = [want in HOLDING for want, _ in self.pairs]
        held = [got in HOLDING for _, got in self.pairs]
        both = sum(s and h for s, h in zip(should, held, strict=True))
        return both, sum(should), sum(held)

    @property
    def hold_recall(self) -> float:
        both, should, _ = self.holds
        return both / should if should else 1.0

    @property
    def hold_precision(self) -> float:
        both, _, held = self.holds
        return both / held if held else 1.0

    def per_status(self) -> list[StatusScore]:
        counts = self.counts
        scores = []
        for status in (s.value for s in DecisionStatus):
            tp = counts[(status, status)]
            predicted = sum(n for (_, got), n in counts.items() if got == status)
            support = sum(n for (want, _), n in counts.items() if want == status)
            if not predicted and not support:
                continue
            precision = tp / predicted if predicted else 0.0
            recall = tp / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            scores.append(StatusScore(status, precision, recall, f1, support))
        return scores

    def write(self, out: TextIO) -> None:
        out.write(f"{'status':24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}\n")
        for s in self.per_status():
            out.write(
                f"{s.status:24}{s.precision:10.3f}{s.recall:10.3f}{s.f1:10.3f}{s.support:9}\n"
            )
        counts = self.counts
        flagged = "unnotified"
        tp = counts[(flagged, flagged)]
        fp = sum(n for (w, g), n in counts.items() if w != flagged and g == flagged)
        fn = sum(n for (w, g), n in counts.items() if w == flagged and g != flagged)
        out.write(
            f"unnotified flags: {tp} right, {fp} false, {fn} missed of {len(self.pairs)} lines\n"
        )
        both, should, held = self.holds
        out.write(f"hold recall {self.hold_recall:.4f} ({both} of {should} that should be held)\n")
        out.write(f"hold precision {self.hold_precision:.4f} ({both} of {held} held)\n")
        statuses = [s.value for s in DecisionStatus]
        seen = [s for s in [*statuses, "missing"] if any(s in pair for pair in counts)]
        out.write("confusion (rows expected, columns decided)\n")
        out.write(" " * 24 + "".join(f"{s[:10]:>11}" for s in seen) + "\n")
        for want in seen:
            out.write(f"{want:24}" + "".join(f"{counts[(want, got)]:11}" for got in seen) + "\n")


def evaluate(replayed: Replayed, expect: Path) -> Scorecard:
    """The decisions against the expected statuses (one {manifest_id, line_id, status} a line)."""
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
            decision = replayed.decisions.get(key)
            pairs.append((expected, decision.status.value if decision else "missing"))
    return Scorecard(pairs)


def compare(a: Replayed, b: Replayed, out: TextIO) -> None:
    """Which decisions set B would change against set A, line by line, and as a tally."""
    changed = [
        (key, a.decisions[key], b.decisions[key])
        for key in sorted(a.decisions)
        if key in b.decisions and a.decisions[key].status != b.decisions[key].status
    ]
    out.write(
        f"{a.indicators.version} -> {b.indicators.version}: {len(changed)} of "
        f"{len(a.decisions)} decisions change\n"
    )
    for (manifest_id, line_id), before, after in changed:
        why = "; ".join(r.text for r in after.reasons if r.code not in ("cn_prefix", "keyword"))
        out.write(f"{manifest_id}/{line_id}: {before.status} -> {after.status}  {why}\n")
    tally = Counter((before.status.value, after.status.value) for _, before, after in changed)
    for (before_status, after_status), n in sorted(tally.items()):
        out.write(f"  {before_status} -> {after_status}: {n}\n")


def run_replay(
    path: Path,
    until: str | None,
    output: Path | None,
    expect: Path | None,
    indicators: Path | None = None,
    sets: list[Path] | None = None,
) -> int:
    try:
        until_time = _parse_time(until, "--until") if until else None
        if sets:
            set_a, set_b = (load_indicator_set(s) for s in sets)
            compare(replay(path, until_time, set_a), replay(path, until_time, set_b), sys.stdout)
            return 0
        chosen = load_indicator_set(indicators) if indicators else None
        shown = Progress.on_terminal(path.stat().st_size, "line events")
        replayed = replay(path, until_time, chosen, shown)
        if output:
            with output.open("w") as out:
                write_decisions(replayed, out)
        else:
            write_decisions(replayed, sys.stdout)
        if expect:
            evaluate(replayed, expect).write(sys.stderr if output is None else sys.stdout)
    except (ReplayInputError, IndicatorSetError, ValueError, OSError) as err:
        print(f"pnm replay: {err}", file=sys.stderr)
        return 2
    return 0
