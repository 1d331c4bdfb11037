"""The committed scenario corpus (`tests/data/corpus/`, realistic days with ground truth from
`pnm scenario`) through the replay, scored against its expected statuses. The targets are the
issue's; the corpus is generated from its own ground truth, never tuned to the matcher."""

from __future__ import annotations

import io
import json
import sys
from functools import cache
from pathlib import Path

import pytest

from pnm.cli.replay import Replayed, Scorecard, evaluate, replay
from pnm.shared.contracts.records import Decision

CORPUS = Path(__file__).parents[2] / "data" / "corpus"
DAYS = sorted(
    p
    for p in CORPUS.glob("*.jsonl")
    if not p.name.endswith((".expected.jsonl", ".decisions.jsonl"))
)


@cache
def replayed(day: Path) -> Replayed:
    """Each day is replayed once per session: both tests read its decisions."""
    return replay(day, None)


def test_the_corpus_has_days() -> None:
    assert len(DAYS) >= 3


@pytest.mark.parametrize("day", DAYS, ids=lambda p: p.stem)
def test_corpus_day_meets_the_quality_targets(day: Path) -> None:
    evaluation = evaluate(replayed(day), day.with_suffix(".expected.jsonl"))
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


def test_the_corpus_holds_what_it_should_and_nothing_else() -> None:
    """Issue 16's targets over the whole corpus, its families included (tests/data/corpus/
    README.md): hold recall at least 99.5 %, hold precision at least 99 %."""
    pairs = [
        pair
        for day in DAYS
        for pair in evaluate(replayed(day), day.with_suffix(".expected.jsonl")).pairs
    ]
    card = Scorecard(pairs)
    assert card.holds[1] >= 100, card.holds  # enough lines that should be held to measure
    assert card.hold_recall >= 0.995, card.holds
    assert card.hold_precision >= 0.99, card.holds


# --- the decisions themselves, line by line ---------------------------------------------------
# Beside the quality targets, each day's decisions are kept (`<day>.decisions.jsonl`): a change
# to the matcher that changes any of them shows which lines and how, and is either a fix (then
# the files are written again, `python tests/unit/matcher/test_corpus.py --write`, and the change is
# explained in tests/data/corpus/README.md) or a defect.


def decided(decision: Decision) -> dict[str, object]:
    """What a decision says about its line: statuses, references and reason codes per regime
    (not its number or time: how many steps it took to get there is not the decision)."""
    return {
        "line": f"{decision.manifest_id}/{decision.line_id}",
        "version": decision.line_version,
        "status": decision.status.value,
        "references": sorted(decision.references),
        "regimes": {
            r.regime.value: {
                "status": r.status.value,
                "references": sorted(r.references),
                "reasons": sorted({reason.code for reason in r.reasons}),
            }
            for r in decision.per_regime
        },
        "reasons": sorted({reason.code for reason in decision.reasons}),
    }


def decisions_of(day: Path) -> list[dict[str, object]]:
    matcher = replayed(day)
    return [decided(matcher.decisions[key]) for key in sorted(matcher.decisions)]


def kept(day: Path) -> Path:
    return day.with_suffix(".decisions.jsonl")


@pytest.mark.parametrize("day", DAYS, ids=lambda p: p.stem)
def test_corpus_day_gives_the_kept_decisions(day: Path) -> None:
    expected = [json.loads(line) for line in kept(day).read_text().splitlines()]
    got = decisions_of(day)
    changed = [
        f"{want['line']}: {want} -> {have}"
        for want, have in zip(expected, got, strict=False)
        if want != have
    ]
    assert len(got) == len(expected), f"{len(got)} lines decided, {len(expected)} kept"
    assert changed == [], f"{len(changed)} decisions changed:\n" + "\n".join(changed[:20])


@pytest.mark.parametrize("day", DAYS, ids=lambda p: p.stem)
def test_corpus_decisions_are_valid_records(day: Path) -> None:
    """The matcher builds its decisions without validating them again (from a validated line
    and its own values, `domain.matching.decision_record`): validated, each is the same record."""
    decisions = list(replayed(day).decisions.values())
    assert decisions
    for decision in decisions:
        again = Decision.model_validate_json(decision.model_dump_json())
        assert again == decision
        assert again.model_dump_json() == decision.model_dump_json()


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(
            "python tests/unit/matcher/test_corpus.py --write: write the kept decisions"
        )
    for day in DAYS:
        with kept(day).open("w") as out:
            for line in decisions_of(day):
                out.write(json.dumps(line, sort_keys=True) + "\n")
        print(f"{kept(day)}: written")
