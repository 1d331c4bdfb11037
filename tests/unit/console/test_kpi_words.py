"""The KPIs' words: every key in English and Dutch with the same placeholders, and every key the
overview's templates and code ask for exists (an unknown key would show itself on the page)."""

from __future__ import annotations

import re
import string
from pathlib import Path

from pnm.console.domain.labels import LABELS
from pnm.console.domain.words.kpis import WORDS
from pnm.console.web import kpis

WEB = Path(kpis.__file__).parent
USERS = [
    WEB / "templates" / name
    for name in ("overview.html", "_overview_live.html", "_kpis.html", "_banner.html")
] + [WEB / "kpis.py"]
# t("key", ...) in templates and code, label(language, "key", ...) in code; not a built key.
ASKED = r"""(?:\bt\(|\blabel\(\s*\w+,)\s*["']([a-z_.]+)["']\s*[,)]"""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert WORDS["en"].keys() == WORDS["nl"].keys()
    for key, english in WORDS["en"].items():
        assert _fields(english) == _fields(WORDS["nl"][key]), key


def test_every_key_asked_for_exists() -> None:
    asked = {key for path in USERS for key in re.findall(ASKED, path.read_text())}
    asked |= {f"kpis.outcome.{outcome}" for outcome in kpis.OUTCOME_ORDER}
    assert len(asked) > 30
    for language in ("en", "nl"):
        assert sorted(asked - LABELS[language].keys()) == [], language
