"""The labelled goods corpus (tests/data/goods_corpus.csv) that `pnm goods-eval` measures goods
recognition on: its labels agree with the shipped indicator set, and it covers what the issue
asks (five languages, look-alikes, trade abbreviations)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from matcher_cases import INDICATORS

from pnm.cli.goods_eval import CORPUS, corpus, report

HOLDOUT = CORPUS.with_name("goods_holdout.csv")


@pytest.mark.parametrize("path", [CORPUS, HOLDOUT], ids=lambda p: p.stem)
def test_each_expected_regime_is_the_one_the_expected_heading_selects(path: Path) -> None:
    for row in corpus(path):
        regimes = {str(i.regime) for i in INDICATORS.matching(row.heading)} or {"none"}
        assert regimes == {row.regime}, row


def test_the_corpus_covers_the_languages_the_look_alikes_and_the_abbreviations() -> None:
    rows = corpus()
    assert len(rows) >= 600
    assert not {r.description for r in rows} & {r.description for r in corpus(HOLDOUT)}
    assert len({r.description for r in rows}) == len(rows)
    languages = Counter(r.language for r in rows)
    assert all(languages[lang] >= 80 for lang in ("en", "nl", "de", "fr", "es"))
    families = Counter(r.family for r in rows)
    assert families["look-alike"] >= 100 and families["abbreviations"] >= 40
    assert {"phyto", "vet", "none"} == {r.regime for r in rows}


def test_the_report_gives_both_selections_per_regime() -> None:
    lines = report(INDICATORS).splitlines()
    assert [line.split()[:2] for line in lines[2:6]] == [
        ["keywords", "phyto"],
        ["keywords", "vet"],
        ["recognition", "phyto"],
        ["recognition", "vet"],
    ]
