"""`pnm goods-vocabulary`: build the matcher's goods vocabulary (`goods_vocabulary.json`, package
data of pnm.matcher) from the nomenclature tables and the curated synonyms.

Inputs: the HS 2022 nomenclature (English, every chapter) and the EU Combined Nomenclature 2026
in English, Dutch, German, French and Spanish (CSV; their provenance and licences are described
in docs/goods-recognition.md), and `cli/src/pnm/cli/data/goods_synonyms.csv`. The output is
deterministic: the same inputs give the same bytes, and its version is a hash of its content.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from pnm.matcher.domain.goods_text import LANGUAGES, PREPOSITIONS, STOPWORDS, kept, stem, words_of

# How much a word says of a heading by where it is written: in the heading's own text, in one
# of its subheadings or 8-digit codes (which name the particular goods: "asparagus"), or only in
# its chapter's title.
HEADING, SUBHEADING, CN8, CHAPTER = 1.0, 0.8, 0.6, 0.3
# A word found in more headings than this says nothing of which one (e.g. "products").
MAX_HEADINGS = 250
TITLE_CHARS = 90
# BM25's term-frequency saturation and length normalisation.
K1, B = 1.2, 0.5
SYNONYMS = resources.files("pnm.cli.data").joinpath("goods_synonyms.csv")
OUTPUT = Path(__file__).parents[4] / "services/matcher/src/pnm/matcher/data/goods_vocabulary.json"

_CN_LEVELS = {"heading": HEADING, "subheading": SUBHEADING, "cn8": CN8}
_HS_LEVELS = {"4": HEADING, "6": SUBHEADING, "8": CN8}


class _Occurrences:
    def __init__(self) -> None:
        self.factor: dict[str, dict[str, float]] = defaultdict(dict)  # stem → heading → factor
        self.languages: dict[str, int] = defaultdict(int)
        self.chapters: dict[str, dict[str, float]] = defaultdict(dict)  # stem → chapter → factor

    def add(self, text: str, language: str, factor: float, heading: str) -> None:
        content = [
            w for w in kept(words_of(text)) if len(w) > 1 and w not in PREPOSITIONS | STOPWORDS
        ]
        for word in content:
            s = stem(word)
            self.languages[s] |= 1 << LANGUAGES.index(language)
            target = self.chapters if len(heading) == 2 else self.factor
            target[s][heading] = target[s].get(heading, 0.0) + factor


def _read(hs: Path, cn: Path) -> tuple[_Occurrences, dict[str, str]]:
    seen = _Occurrences()
    titles: dict[str, str] = {}
    with hs.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code, level = row["hscode"], row["level"]
            if level == "2":
                seen.add(row["description"], "en", CHAPTER, code)
            elif level in _HS_LEVELS:
                seen.add(row["description"], "en", _HS_LEVELS[level], code[:4])
                if level == "4":
                    titles[code] = " ".join(row["description"].split())[:TITLE_CHARS]
    with cn.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code, level = row["code"], row["level"]
            for language in LANGUAGES:
                if level == "chapter":
                    seen.add(row[language], language, CHAPTER, code)
                elif level in _CN_LEVELS:
                    seen.add(row[language], language, _CN_LEVELS[level], code[:4])
            if level == "heading" and code not in titles:
                titles[code] = " ".join(row["en"].split())[:TITLE_CHARS]
    return seen, titles


def _index(seen: _Occurrences, headings: list[str]) -> dict[str, dict[str, float]]:
    """Per stem: heading → weight, BM25: the word's idf, and how much of the heading's texts it
    makes up (a heading about rice names it in many of its subheadings, one that excepts rice
    once does not; a heading with a hundred subheadings does not win by its length). Chapter
    titles reach the headings of their chapter, weakly."""
    n = len(headings)
    by_chapter: dict[str, list[str]] = defaultdict(list)
    for h in headings:
        by_chapter[h[:2]].append(h)
    weights: dict[str, dict[str, float]] = {}
    for s in set(seen.factor) | set(seen.chapters):
        factors = dict(seen.factor.get(s, {}))
        for chapter, factor in seen.chapters.get(s, {}).items():
            for h in by_chapter[chapter]:
                factors.setdefault(h, factor)
        if factors and len(factors) <= MAX_HEADINGS:
            weights[s] = factors
    length: dict[str, float] = defaultdict(float)
    for factors in weights.values():
        for h, f in factors.items():
            length[h] += f
    average = sum(length.values()) / len(length)
    index: dict[str, dict[str, float]] = {}
    for s in sorted(weights):
        idf = math.log(n / len(weights[s]))
        index[s] = {
            h: round(idf * f * (K1 + 1) / (f + K1 * (1 - B + B * length[h] / average)), 3)
            for h, f in sorted(weights[s].items())
            if idf > 0
        }
    return {s: w for s, w in index.items() if w}


def _synonyms(
    index: dict[str, dict[str, float]], headings: list[str], synonyms: str
) -> dict[str, str]:
    """Curated phrases → the stems they stand for: English words of the nomenclature,
    synthetic heading stems `#dddd` (weighted as a word of that heading alone), or nothing."""
    strongest = math.log(len(headings))
    phrases: dict[str, str] = {}
    rows = list(csv.DictReader(synonyms.splitlines()))
    for number, row in enumerate(rows, start=2):
        key = " ".join(stem(w) for w in kept(words_of(row["term"])))
        if not key:
            raise ValueError(f"goods_synonyms.csv line {number}: {row['term']!r} has no word")
        targets: list[str] = []
        for means in row["means"].split():
            if means.isdigit():
                if means not in headings:
                    raise ValueError(f"goods_synonyms.csv line {number}: no heading {means}")
                targets.append(f"#{means}")
                index[f"#{means}"] = {means: round(strongest, 3)}
            else:
                target = stem(means)
                if target not in index:
                    raise ValueError(f"goods_synonyms.csv line {number}: {means!r} is unknown")
                targets.append(target)
        if phrases.get(key, " ".join(targets)) != " ".join(targets):
            raise ValueError(f"goods_synonyms.csv line {number}: {row['term']!r} twice")
        phrases[key] = " ".join(targets)
    return phrases


def build(hs: Path, cn: Path, synonyms: str | None = None) -> dict[str, Any]:
    """`synonyms`: the text of a synonyms CSV (default: the curated file)."""
    seen, titles = _read(hs, cn)
    headings = sorted(titles)
    index = _index(seen, headings)
    curated = SYNONYMS.read_text(encoding="utf-8") if synonyms is None else synonyms
    phrases = _synonyms(index, headings, curated)
    content: dict[str, Any] = {
        "titles": titles,
        "index": index,
        "languages": {s: seen.languages[s] for s in sorted(index) if s in seen.languages},
        "phrases": dict(sorted(phrases.items())),
    }
    digest = hashlib.sha256(_canonical(content).encode()).hexdigest()[:12]
    return {"version": f"gv-{digest}", **content}


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def write(hs: Path, cn: Path, output: Path = OUTPUT) -> str:
    data = build(hs, cn)
    output.write_text(_canonical(data) + "\n", encoding="utf-8")
    return str(data["version"])
