"""Text no database or partner can keep (a NUL character, an unpaired UTF-16 surrogate) is
refused in every field of a record, in lists of text as well: a clear 422, never a 500 from
PostgreSQL later."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pnm.shared.text import unstorable
from pnm.testing.records import container, manifest_line

LINE = manifest_line("ST-1", "1", hs_code="020130", description="beef", containers=[container(1)])


@pytest.mark.parametrize("bad", ["beef\x00", "beef\ud800", "\udfff"])
@pytest.mark.parametrize("field", ["description_of_line", "a_container"])
def test_unstorable_text_is_refused_in_any_field(bad: str, field: str) -> None:
    data = LINE.model_dump(mode="json")
    if field == "a_container":
        data["containers"] = [data["containers"][0], bad]
    else:
        data["goods"][0]["description"] = bad
    with pytest.raises(ValidationError):
        type(LINE).model_validate(data)


def test_a_surrogate_pair_is_kept() -> None:
    data = LINE.model_dump(mode="json")
    data["goods"][0]["description"] = "beef \U0001f404"
    assert type(LINE).model_validate(data).goods[0].description == "beef \U0001f404"


_SURROGATES_AND_NUL = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"])


@given(st.text(alphabet=st.one_of(st.characters(), _SURROGATES_AND_NUL)))
@settings(max_examples=500)
def test_the_ascii_shortcut_answers_as_the_full_search(text: str) -> None:
    assert unstorable(text) == (re.search("[\x00\ud800-\udfff]", text) is not None)


@pytest.mark.parametrize("text", ["", "beef", "beef\x00", "\x00", "é\x00", "é\ud800", "\U0001f404"])
def test_unstorable_examples(text: str) -> None:
    assert unstorable(text) == (re.search("[\x00\ud800-\udfff]", text) is not None)
