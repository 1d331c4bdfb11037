"""Progress on a terminal: rate and time left on one rewritten line; nothing off a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from pnm.cli.progress import Progress


def test_progress_shows_share_rate_and_time_left_then_the_total() -> None:
    out = io.StringIO()
    progress = Progress(total_bytes=1000, unit="lines", out=out, every=0)
    progress.update(read_bytes=250, events=40, done=30)
    shown = out.getvalue()
    assert shown.startswith("\r") and "25.0%" in shown and "30 lines" in shown
    assert "lines/s" in shown and "s left" in shown
    progress.finish(events=160, done=120)
    assert out.getvalue().endswith("\n") and "160 events, 120 lines in" in out.getvalue()


def test_updates_are_throttled() -> None:
    out = io.StringIO()
    progress = Progress(total_bytes=1000, unit="lines", out=out, every=3600)
    progress.update(read_bytes=1, events=1, done=1)
    progress.update(read_bytes=2, events=2, done=2)
    assert out.getvalue().count("\r") == 1


def test_off_a_terminal_there_is_no_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe, a log, CI
    assert Progress.on_terminal(1000, "lines") is None
