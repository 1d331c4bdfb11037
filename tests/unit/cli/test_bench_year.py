"""`pnm bench --only year`, scaled down to two small days: it generates the set once, keeps it,
reuses it, and prints the replay's figures beside a bare parse (not asserted: no timing in
tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pnm.cli.main import main


def test_the_year_bench_generates_once_then_reuses_and_prints_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = ["bench", "--only", "year", "--year-days", "2", "--year-lines", "150"]
    main([*bench, "--year-cache", str(tmp_path)])
    first = capsys.readouterr().out
    assert re.search(
        r"replay of 2 generated days: 300 manifest lines against \d+ pre-notifications "
        r"\([\d,]+ events, [\d.]+ MB; generated in \d+ s\)",
        first,
    ), first
    assert re.search(r"bare parse \(json.loads\):\s+\d+ events/s", first), first
    assert re.search(r"read and validate:\s+\d+ events/s", first), first
    assert re.search(r"ratio replay / read\+validate:\s+[\d.]+", first), first
    assert re.search(
        r"pnm replay:\s+\d+ lines/s \(\d+ events/s, [\d.]+ s\), peak memory \d+ MB", first
    )
    kept = sorted(p.name for p in tmp_path.iterdir())  # the set, its truth, its summary
    assert len(kept) == 3 and kept[0].endswith("-seed15.expected.jsonl"), kept
    assert kept[1:] == [
        kept[0].replace(".expected", ""),
        kept[0].replace("expected.jsonl", "summary.json"),
    ]
    main([*bench, "--year-cache", str(tmp_path)])
    again = capsys.readouterr().out
    assert "; reused " in again and "300 manifest lines" in again, again
