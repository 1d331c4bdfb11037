"""Goods recognition from a free-text description: the likely CN headings of "FROZEN CHICKEN
LEGS", "verse asperges" or "crevettes HLSO IQF", with a confidence and the words that decided.

Built on the whole nomenclature (every chapter, five languages) plus curated synonyms, shipped as
package data (`data/goods_vocabulary.json`, rebuilt by `pnm goods-vocabulary`; see
docs/goods-recognition.md). Pure: the data is read once, on first use.

How a description is read:
1. folded (case, accents), packaging and logistics words dropped (FCL, PCS, "said to contain"),
   curated phrases and abbreviations replaced by what they stand for (HLSO → shrimps);
2. split at prepositions ("fillets OF salmon", "filets DE cabillaud"): the first part names the
   goods; its head noun is the last word in English, Dutch and German, the first in French and
   Spanish; a Dutch or German compound is split and its last part is the head ("kippenpoten");
3. each heading scores the idf weights of the words it shares with the description, the head
   counting more: "chicken wire" is wire, "meat grinder" a grinder, "rose oil" an oil;
4. the scores become shares of one (a soft maximum, beside a "none of them" score), scaled by how
   much of the description the vocabulary knows: an unknown head noun leaves the result uncertain.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

LANGUAGES = ("en", "nl", "de", "fr", "es")
HEAD_WEIGHT = 2.0
MODIFIER_WEIGHT = 1.0
# The state of the goods says much of their chapter (fresh, frozen: food and plants). Other
# languages' state words are curated synonyms of these (docs/goods-recognition.md).
STATE_WEIGHT = 1.5
# The soft maximum's sharpness and the score of "none of these headings".
SHARPNESS = 2.0
NONE_SCORE = 6.0
MIN_STEM = 3
COMPOUND_MAX = 40
RANKED = 8
# The words named in an explanation, at most.
NAMED_WORDS = 8


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that separate the goods from what qualifies them ("fillets of cod", "filets de cabillaud").
PREPOSITIONS = _listed(
    "of for with from in on to by without "
    "van voor met uit zonder op in aan "
    "von fur mit aus ohne auf zum zur im "
    "de du des d pour avec sans au aux a "
    "del para con sin al en , ; : ( )"
)
# Function words, dropped. "de", "en" and "a" are also prepositions above (French, Spanish).
STOPWORDS = _listed(
    "and or the an other others n e s not whether etc also including included thereof such "
    "en of het een de die der das den dem ein eine und oder nicht auch sonstige andere anderer "
    "le la les un une et ou autres autre non y o el los las lo otros otras demas u "
    "ander andere dergelijke zijn is per whole"
)
_ABBREVIATION = re.compile(r"\b([a-z])\s*[&/]\s*([a-z])\b")
# Words, and the punctuation that ends the part naming the goods ("Frozen shrimps, peeled").
_TOKEN = re.compile(r"[a-z]+|[,;:()]")
_PLURALS = ("es", "en", "s")
_FINAL_VOWELS = ("e", "a", "o")


def fold(text: str) -> str:
    """Lower case, accents and ligatures folded, "P&D" and "H/G" kept as one word."""
    text = text.lower().replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _ABBREVIATION.sub(r"\1\2", text)


def stem(word: str) -> str:
    """One form for a word's inflections in the five languages, only as far as both sides of a
    comparison agree: plural endings off, then a final vowel, then a doubled final consonant
    ("tomatoes", "tomaten", "tomates" → tomat; "kippen" → kip; "roses", "rosen" → ros). A
    "word" longer than any compound is no word of goods: kept as it is."""
    if len(word) > COMPOUND_MAX:
        return word
    changed = True
    while changed:
        changed = False
        for suffix in _PLURALS:
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
                word, changed = word[: -len(suffix)], True
                break
        if word.endswith(_FINAL_VOWELS) and len(word) > MIN_STEM:
            word, changed = word[:-1], True
    if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


STATES = frozenset(stem(w) for w in _listed("fresh frozen chilled live dried smoked"))
# Cuts and forms: what the goods are cut or made into, not what they are.
CUTS = frozenset(
    stem(w)
    for w in _listed(
        "fillets filet filets filetes breast breasts legs leg thighs wings loins loin cuts "
        "portions steaks parts pieces slices tubes carcasses quarters trimmings meat fleisch "
        "vlees viande carne blocks wheels rounds brust borst poitrine pechuga keule keulen"
    )
)


def words_of(text: str) -> list[str]:
    """The folded words of a text, in order, with the punctuation that separates its parts
    (digits and other signs only separate words)."""
    return _TOKEN.findall(fold(text))


@dataclass(frozen=True)
class Heading:
    """A likely heading: its code, title, confidence in [0, 1] and the description's words that
    pointed to it."""

    code: str
    title: str
    confidence: float
    words: tuple[str, ...]


@dataclass(frozen=True)
class Recognition:
    """The headings a description most likely names, best first; `head` is the word read as
    the goods' noun; `known` the share of the description's weight the vocabulary knows;
    `packed` the words before a packing word heading a compound ("eier" of "Eierkartons"): the
    packing may be for them or of them (docs/goods-recognition.md)."""

    headings: tuple[Heading, ...]
    head: str | None
    known: float
    packed: tuple[str, ...] = ()


UNRECOGNISED = Recognition((), None, 0.0)


@dataclass(frozen=True)
class _Term:
    stem: str
    word: str  # as written, for the explanation
    weight: float


class Vocabulary:
    """The packaged vocabulary: per word stem, the headings it occurs in with an idf weight
    and the languages it is a word of; curated phrases; the words that are not goods."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data["version"]
        self.titles: dict[str, str] = data["titles"]
        self.index: dict[str, dict[str, float]] = data["index"]
        self.languages: dict[str, int] = data["languages"]
        # Curated phrases (stems) by their first stem, longest first: each stands for the stems
        # of other words, for synthetic heading stems (`#0306`), or for nothing (not goods).
        self.phrases: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for phrase, target in sorted(
            data["phrases"].items(), key=lambda pt: (-pt[0].count(" "), pt[0])
        ):
            key = tuple(phrase.split())
            self.phrases.setdefault(key[0], []).append((key, tuple(target.split())))

    def knows(self, stem_: str) -> bool:
        return stem_ in self.index or stem_ in self.phrases

    def is_part(self, stem_: str) -> bool:
        """Whether a compound may have this part: a curated word, or a word of the nomenclature
        long enough not to be found by chance inside another ("kabel|jau")."""
        return stem_ in self.phrases or (stem_ in self.index and len(stem_) > MIN_STEM)


@cache
def vocabulary() -> Vocabulary:
    """The packaged vocabulary, read once."""
    raw = resources.files("pnm.matcher.data").joinpath("goods_vocabulary.json").read_text("utf-8")
    return Vocabulary(json.loads(raw))


def kept(words: Iterable[str]) -> list[str]:
    """The words that can matter: function words out, prepositions kept (they separate)."""
    return [w for w in words if w not in STOPWORDS or w in PREPOSITIONS]


# A word of the description: its stem, the word as written, and whether it is the modifier part
# of a compound ("kippen" in "kippenpoten"), which never heads the goods.
_Word = tuple[str, str, bool]


def _phrased(found: list[_Word], vocab: Vocabulary, as_is: set[int]) -> list[_Word]:
    """The description's words with the curated phrases replaced by what they stand for, except
    the words at `as_is`."""
    stems = [s for s, _, _ in found]
    out: list[_Word] = []
    i = 0
    while i < len(stems):
        for phrase, target in () if i in as_is else vocab.phrases.get(stems[i], ()):
            if tuple(stems[i : i + len(phrase)]) == phrase:
                said = " ".join(dict.fromkeys(w for _, w, _ in found[i : i + len(phrase)]))
                modifier = all(m for _, _, m in found[i : i + len(phrase)])
                out.extend((t, said, modifier) for t in target)
                i += len(phrase)
                break
        else:
            out.append(found[i])
            i += 1
    return out


@lru_cache(maxsize=65536)
def _split(stem_: str, vocab: Vocabulary) -> tuple[str, ...]:
    """A compound unknown to the vocabulary as its known parts, modifiers first ("varkensvlees"
    → varken, vlee; "lammschlachtkorper" → lamm, schlacht, korper); else the word itself.
    Cached, which also keeps the recursion over a word's left parts polynomial; a "word" longer
    than any compound is not split at all."""
    if vocab.knows(stem_) or not 2 * MIN_STEM <= len(stem_) <= COMPOUND_MAX:
        return (stem_,)
    for cut in range(MIN_STEM, len(stem_) - MIN_STEM + 1):
        head = stem(stem_[cut:])
        # A cut heads compounds whose word the nomenclature lacks ("Lamm|keulen").
        if not (vocab.is_part(head) or head in CUTS):
            continue
        left = stem_[:cut]
        for link in ("", "s", "en", "e", "n"):
            if left.endswith(link) and len(left) - len(link) >= MIN_STEM:
                parts = _split(stem(left[: len(left) - len(link)]), vocab)
                if all(vocab.is_part(p) for p in parts):
                    return (*parts, head)
    return (stem_,)


_ROMANCE = frozenset({"fr", "es"})
_MARKERS = _listed("du des le les la et pour avec aux del el los las y para con")


def _head_first(stems: Iterable[str], raw: Sequence[str], vocab: Vocabulary) -> bool:
    """Whether the description is French or Spanish (noun first): its articles and
    prepositions, and the words that are words of those languages only, against the words of
    English, Dutch or German only."""
    romance = sum(w in _MARKERS for w in raw)
    germanic = 0
    for s in stems:
        languages = {lang for n, lang in enumerate(LANGUAGES) if vocab.languages.get(s, 0) >> n & 1}
        romance += bool(languages) and languages <= _ROMANCE
        germanic += bool(languages) and not languages & _ROMANCE
    return romance > germanic


def _ignored(stem_: str, vocab: Vocabulary) -> bool:
    """A curated word that names no goods ("cartons", "FCL"): how goods are packed or shipped."""
    return any(phrase == (stem_,) and not target for phrase, target in vocab.phrases.get(stem_, ()))


def _compound(parts: tuple[str, ...], vocab: Vocabulary) -> tuple[tuple[str, ...], int]:
    """A compound's parts to read and which of them heads it. A packaging word heading it is
    the goods ("Eierkartons" are cartons): read alone. A cut or form heading it is of its owner,
    the nearest part before it that is neither ("Hähnchenbrustfilet": chicken)."""
    last = len(parts) - 1
    if last and _ignored(parts[last], vocab):
        return parts[last:], 0
    if parts[last] in CUTS:
        for n in range(last - 1, -1, -1):
            if parts[n] not in CUTS and parts[n] not in STATES and vocab.knows(parts[n]):
                return parts, n
    return parts, last


@dataclass(frozen=True)
class _Read:
    terms: list[_Term]
    head: str | None
    packed: tuple[str, ...]  # the modifiers of compounds a packing word heads


def _terms(description: str, vocab: Vocabulary) -> _Read:
    raw = words_of(description)
    # Compounds split first, so that their parts can be curated words too ("kippen|poten").
    found: list[_Word] = []
    as_is: set[int] = set()  # packaging words heading a compound: not dropped as packaging
    packed: list[str] = []
    for w in kept(raw):
        if len(w) > 1 or w in PREPOSITIONS:
            whole = _split(stem(w), vocab)
            parts, head = _compound(whole, vocab)
            if parts != whole:
                as_is.add(len(found))
                packed += whole[: len(whole) - len(parts)]
            found += [(part, w, n != head) for n, part in enumerate(parts)]
    segments: list[list[_Word]] = [[]]
    for s, w, modifier in _phrased(found, vocab, as_is):
        if w in PREPOSITIONS:
            segments.append([])
        elif w not in STOPWORDS:
            segments[-1].append((s, w, modifier))
    content = [seg for seg in segments if seg]
    if not content:
        return _Read([], None, ())
    goods = content[0]
    # The head is a word as written: a phrase's meanings share it, a compound's modifier not.
    # A state ("fresh", "IQF") qualifies the goods and is never their head.
    said = list(dict.fromkeys(w for s, w, _ in goods if s not in STATES)) or [goods[-1][1]]
    # The language is told by the words as written: a curated word stands for an English one
    # ("vertes" → green) and would make a French description look English.
    head_first = _head_first((stem(w) for _, w, _ in goods), raw, vocab)
    heads = {said[0] if head_first else said[-1]}
    if {stem(h) for h in heads} <= CUTS:
        # A cut or form names no goods of itself: "chicken breast fillets", "filets de poulet",
        # "fillets of cod" are the goods of their owner.
        after = [w for _, w, _ in content[1]] if len(content) > 1 else []
        before = [w for w in (said[1:] if head_first else said[:-1]) if stem(w) not in CUTS]
        heads = set(after[:1] or before[-1:]) or heads
    weights = {w: HEAD_WEIGHT for w in heads}
    terms = [
        _Term(
            s,
            w,
            weights.get(w, MODIFIER_WEIGHT)
            if not modifier
            else MODIFIER_WEIGHT
            if s not in STATES
            else STATE_WEIGHT,
        )
        for s, w, modifier in goods
    ]
    terms = [t if t.stem not in STATES else _Term(t.stem, t.word, STATE_WEIGHT) for t in terms]
    terms += [
        _Term(s, w, weights.get(w, MODIFIER_WEIGHT / 2)) for seg in content[1:] for s, w, _ in seg
    ]
    return _Read(terms, " ".join(sorted(heads)), tuple(packed))


@lru_cache(maxsize=8192)
def recognise(description: str, vocab: Vocabulary | None = None) -> Recognition:
    """The likely headings of a description, best first (at most `RANKED`). Cached: a day's
    lines repeat their descriptions, and the matcher decides a line again on every change."""
    vocab = vocab or vocabulary()
    read = _terms(description, vocab)
    terms, head = read.terms, read.head
    if not terms:
        return UNRECOGNISED
    scores: dict[str, float] = {}
    decided: dict[str, list[str]] = {}
    seen: set[str] = set()
    for term in terms:
        if term.stem in seen:  # a word said twice is no stronger evidence
            continue
        seen.add(term.stem)
        for code, idf in vocab.index.get(term.stem, {}).items():
            scores[code] = scores.get(code, 0.0) + term.weight * idf
            decided.setdefault(code, []).append(term.word)
    total = sum(t.weight for t in terms)
    # A cut the nomenclature lacks ("Keulen") is known all the same: it says what the goods are
    # cut into, and the goods are its owner.
    known = sum(t.weight for t in terms if vocab.knows(t.stem) or t.stem in CUTS) / total
    if not scores:
        return Recognition((), head, known, read.packed)
    top = max(scores.values())
    exps = {code: math.exp(SHARPNESS * (s - top)) for code, s in scores.items()}
    norm = sum(exps.values()) + math.exp(SHARPNESS * (NONE_SCORE - top))
    ranked = sorted(scores, key=lambda c: (-scores[c], c))[:RANKED]
    return Recognition(
        tuple(
            Heading(
                code,
                vocab.titles.get(code, ""),
                round(known * exps[code] / norm, 4),
                tuple(dict.fromkeys(decided[code]))[:NAMED_WORDS],
            )
            for code in ranked
        ),
        head,
        known,
        read.packed,
    )
