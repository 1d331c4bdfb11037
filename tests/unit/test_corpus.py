"""The committed scenario corpus (`tests/data/corpus/`, realistic days with ground truth from
`pnm scenario`) through the replay, scored against its expected statuses. The targets are the
issue's; the corpus is generated from its own ground truth, never tuned to the matcher."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pnm.cli.replay import evaluate, replay

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
DAYS = sorted(p for p in CORPUS.glob("*.jsonl") if not p.name.endswith(".expected.jsonl"))


def test_the_corpus_has_days() -> None:
    assert len(DAYS) >= 3


@pytest.mark.parametrize("day", DAYS, ids=lambda p: p.stem)
def test_corpus_day_meets_the_quality_targets(day: Path) -> None:
    evaluation = evaluate(replay(day, None), day.with_suffix(".expected.jsonl"))
    report = io.StringIO()
    evaluation.write(report)
    print(f"\n{day.stem}\n{report.getvalue()}")  # the figures, with -s or on failure
    scores = {s.status: s for s in evaluation.per_status()}
    assert "missing" not in {got for _, got in evaluation.pairs}, report.getvalue()
    unnotified = scores["unnotified"]
    assert unnotified.recall >= 0.995, report.getvalue()
    assert unnotified.precision >= 0.98, report.getvalue()
    for status, s in scores.items():
        if status != "unnotified":
            assert s.recall >= 0.95, f"{status}: {report.getvalue()}"
