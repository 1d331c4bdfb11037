"""Every word of the line detail page exists in English and Dutch, including the keys the
templates build from data (fields, marks, reasons a candidate is shown, thresholds)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from pnm.console.domain.comparison import FIELDS, Mark
from pnm.console.domain.labels import LABELS
from pnm.console.domain.words.detail import WORDS
from pnm.console.web import detail
from pnm.console.web.render import TEMPLATES

TEMPLATE_FILES = [*TEMPLATES.glob("line*.html"), *TEMPLATES.glob("_line_*.html")]


def test_both_languages_have_the_same_words() -> None:
    assert set(WORDS["en"]) == set(WORDS["nl"])


def test_every_key_the_page_uses_exists_in_both() -> None:
    used = {k for f in TEMPLATE_FILES for k in re.findall(r't\("([a-z_.]+)"\s*[,)]', f.read_text())}
    used |= {f"detail.field.{f.name}" for f in FIELDS}
    used |= {f"detail.mark.{m}" for m in Mark if m is not Mark.SHOWN}
    used |= {f"detail.why.{w}" for w in get_args(detail.Why)}
    used |= {f"detail.threshold.{name}" for name in ("review", "match")}
    source = Path(detail.__file__).read_text()
    used |= set(re.findall(r't\("(detail\.[a-z_.]+)"\s*[,)]', source))
    for language in ("en", "nl"):
        missing = sorted(k for k in used if k not in LABELS[language])
        assert missing == [], f"{language}: {missing}"
