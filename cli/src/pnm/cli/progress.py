"""Progress of a long run on a terminal: one line on stderr, rewritten at most twice a second,
with what was done, the rate and the time left; nothing when stderr is not a terminal (a log,
a pipe, CI), so the output stays what it was."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total_bytes: int, unit: str, out: TextIO, every: float = 0.5) -> None:
        self.total_bytes = max(total_bytes, 1)
        self.unit = unit
        self.out = out
        self.every = every
        self.started = time.monotonic()
        # None until the first update is shown: the monotonic clock starts near zero on a
        # freshly booted machine, so no moment can stand for "never".
        self._shown: float | None = None

    @classmethod
    def on_terminal(cls, total_bytes: int, unit: str) -> Progress | None:
        return cls(total_bytes, unit, sys.stderr) if sys.stderr.isatty() else None

    def update(self, read_bytes: int, events: int, done: int) -> None:
        now = time.monotonic()
        if self._shown is not None and now - self._shown < self.every:
            return
        self._shown = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        share = read_bytes / self.total_bytes
        left = elapsed * (1 - share) / share if share > 0 else 0.0
        self.out.write(
            f"\r{share:6.1%}  {events:,} events  {done:,} {self.unit}  "
            f"{rate:,.0f} {self.unit}/s  {left:,.0f} s left   "
        )
        self.out.flush()

    def finish(self, events: int, done: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        self.out.write(
            f"\r{events:,} events, {done:,} {self.unit} in {elapsed:,.1f} s "
            f"({rate:,.0f} {self.unit}/s)" + " " * 20 + "\n"
        )
        self.out.flush()
