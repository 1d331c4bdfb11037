"""The container typo neighbourhood solved by check digit (`iso6346_edits`) holds exactly the
forms one edit away that stdnum's ISO 6346 check passes: the same block keys as checking each
form, for valid numbers, their typos and texts that are no container number at all."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum import iso6346

from pnm.matcher.domain.iso6346_edits import ALPHABET, valid_one_edit_forms
from pnm.matcher.domain.keys import typo_keys


def _one_edit_forms(value: str) -> set[str]:
    """Every substitution, insertion, deletion and adjacent transposition over A-Z and 0-9."""
    forms = {value[:i] + value[i + 1 :] for i in range(len(value))}
    forms.update(
        value[:i] + value[i + 1] + value[i] + value[i + 2 :] for i in range(len(value) - 1)
    )
    for i in range(len(value) + 1):
        forms.update(value[:i] + a + value[i:] for a in ALPHABET)
        forms.update(value[:i] + a + value[i + 1 :] for a in ALPHABET if i < len(value))
    forms.discard(value)
    return forms


def _stdnum_passes(value: str) -> bool:
    try:
        iso6346.validate(value)
    except ValueError:
        return False
    return value[3] in "UJZR"  # as `passes_iso6346`: the category letter as written


def _checked_one_by_one(value: str) -> set[str]:
    return {form for form in _one_edit_forms(value) if _stdnum_passes(form)}


@st.composite
def _valid(draw: st.DrawFn) -> str:
    owner = draw(st.text(alphabet=ALPHABET, min_size=3, max_size=3))
    body = owner + draw(st.sampled_from("UJZR")) + draw(st.from_regex(r"\A[0-9]{6}\Z"))
    return body + iso6346.calc_check_digit(body)


@st.composite
def _edited(draw: st.DrawFn) -> str:
    """A valid number with one or two edits: mostly failing numbers one edit from valid ones."""
    value = draw(_valid())
    for _ in range(draw(st.integers(1, 2))):
        i = draw(st.integers(0, len(value) - 1))
        char = draw(st.sampled_from(ALPHABET))
        value = draw(
            st.sampled_from(
                [
                    value[:i] + char + value[i + 1 :],
                    value[:i] + char + value[i:],
                    value[:i] + value[i + 1 :],
                    value[:i] + value[i + 1 : i + 2] + value[i] + value[i + 2 :],
                ]
            )
        )
    return value


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(_valid(), _edited(), st.text(alphabet="ABUJZR0123456789", min_size=10, max_size=12))
)
@example("CSQU3054380")  # check digit 0: a weighted sum of 10 also fits
@example("CSQU305438")  # the check digit missing
@example("CSQU30543833")
@example("123U123456")  # an owner code of digits
def test_solved_forms_are_the_forms_that_pass_one_by_one(value: str) -> None:
    assert valid_one_edit_forms(value) == _checked_one_by_one(value)


@given(st.text(alphabet="ABCU0123456789\uff13_ ", min_size=10, max_size=12))
@settings(max_examples=100, deadline=None)
def test_a_text_outside_the_alphabet_is_left_to_the_caller(value: str) -> None:
    solved = valid_one_edit_forms(value)
    assert solved is None or solved == _checked_one_by_one(value)
    if not all(c in ALPHABET for c in value):
        assert solved is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_valid(), _edited()), min_size=1, max_size=3))
@example(["CSQU\uff1305438"])  # a fullwidth digit: stdnum passes its look-alike forms
def test_container_typo_keys_are_the_keys_of_the_forms_checked_one_by_one(
    containers: list[str],
) -> None:
    expected = set()
    for c in containers:
        if _stdnum_passes(c) and len(c) == 11:
            expected.add(c)
            continue
        expected |= {c[:i] + c[i + 1 :] for i in range(len(c))} | {c}
        if 10 <= len(c) <= 12:
            expected |= _checked_one_by_one(c)
    assert typo_keys(containers, None, "imo:9321483") == {
        f"near-container:imo:9321483|{k}" for k in expected
    }
