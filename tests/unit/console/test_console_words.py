"""Every word of the console in both languages, and every key a template uses defined."""

from __future__ import annotations

import re
from pathlib import Path

from pnm.console.domain.labels import CONSOLE_LANGUAGES, LABELS, PARTS, label
from pnm.console.domain.queues import QUEUES, SORTS

TEMPLATES = Path(__file__).parents[3] / "services/console/src/pnm/console/web/templates"


def test_both_languages_have_the_same_keys() -> None:
    english, dutch = (set(LABELS[lang]) for lang in CONSOLE_LANGUAGES)
    assert english - dutch == set(), "missing in Dutch"
    assert dutch - english == set(), "missing in English"


def test_no_part_defines_a_key_another_part_defines() -> None:
    seen: dict[str, int] = {}
    for number, part in enumerate(PARTS):
        for key in part["en"]:
            assert key not in seen, f"{key} defined in parts {seen[key]} and {number}"
            seen[key] = number


def test_every_key_a_template_uses_is_defined() -> None:
    used = {
        key
        for template in TEMPLATES.glob("*.html")
        for key in re.findall(r"""\bt\(\s*["']([a-z_.]+)["']\s*[,)]""", template.read_text())
    }
    assert used, "the templates use t(...) for their words"
    assert sorted(used - set(LABELS["en"])) == []


def test_every_queue_has_its_name_in_words() -> None:
    # Templates name a queue by `t("queue." ~ queue.name)`.
    assert [q.name for q in QUEUES if f"queue.{q.name}" not in LABELS["en"]] == []


def test_every_sort_has_its_name_in_words() -> None:
    # The sort list names a sort by `t("sort." ~ s)`.
    sorts = {s for names in SORTS.values() for s in names}
    assert sorted(s for s in sorts if f"sort.{s}" not in LABELS["en"]) == []


def test_dutch_words_differ_from_english_where_they_are_sentences() -> None:
    # A copied English sentence in the Dutch table is a missed translation.
    same = [
        key
        for key, text in LABELS["en"].items()
        if " " in text and LABELS["nl"][key] == text and "{" not in text
    ]
    assert same == []


def test_values_are_filled_in_and_an_unknown_key_shows_itself() -> None:
    assert label("nl", "overview.arrivals", hours=48) == "Aankomsten in de komende 48 uur per GCP"
    assert label("en", "no.such.key") == "no.such.key"
    assert label("xx", "nav.overview") == "Overview"
