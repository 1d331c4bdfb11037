"""The console's words in English and Dutch (docs/console.md, "Languages"). A key missing
in one language is a defect: tests/unit/console/test_console_words.py compares the two."""

from __future__ import annotations

from pnm.console.domain.words import action_fields, actions, common, detail, kpis

CONSOLE_LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"

# Each part of the console keeps its words in a module of `words/`, in both languages.
PARTS = (common.WORDS, detail.WORDS, kpis.WORDS, actions.WORDS, action_fields.WORDS)
LABELS: dict[str, dict[str, str]] = {
    language: {key: text for part in PARTS for key, text in part[language].items()}
    for language in CONSOLE_LANGUAGES
}


def label(language: str, key: str, **values: object) -> str:
    """The words for `key`; an unknown key shows itself (visible, and caught by the tests)."""
    text = LABELS.get(language, LABELS[DEFAULT_LANGUAGE]).get(key, key)
    return text.format(**values) if values else text
