"""Identifier normalisation at the edges: ISO 6346 container numbers and transport documents."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iso6346

from pnm.shared.identifiers import (
    container_number,
    iso6346_check_digit,
    passes_iso6346,
    transport_document_number,
)

VECTORS = Path(__file__).parent / "data" / "identifier_vectors.csv"


def _container_vectors() -> list[tuple[str, bool]]:
    with VECTORS.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["scheme"] == "container_iso6346"]
    return [(r["identifier"], r["result"] == "valid") for r in rows]


CONTAINER_VECTORS = _container_vectors()


def test_the_fixture_has_valid_and_invalid_container_numbers() -> None:
    results = [valid for _, valid in CONTAINER_VECTORS]
    assert len(results) >= 10
    assert any(results)
    assert not all(results)


@pytest.mark.parametrize(("identifier", "valid"), CONTAINER_VECTORS)
def test_container_vector(identifier: str, valid: bool) -> None:
    normalised = container_number(identifier)
    assert normalised.value == identifier
    assert normalised.valid is valid
    assert normalised.raw == identifier


def _raw_forms(identifier: str) -> list[str]:
    owner, serial, check = identifier[:4], identifier[4:10], identifier[10]
    return [
        identifier.lower(),
        f"{owner} {serial} {check}",
        f"{owner}-{serial}-{check}",
        f"{owner.lower()} {serial}-{check}",
        f"  {owner}{serial}/{check}\t",
        f"{owner}.{serial}_{check}",
    ]


@pytest.mark.parametrize(("identifier", "valid"), CONTAINER_VECTORS)
def test_container_raw_forms_normalise_to_the_same_value(identifier: str, valid: bool) -> None:
    for raw in _raw_forms(identifier):
        normalised = container_number(raw)
        assert normalised.value == identifier, raw
        assert normalised.valid is valid, raw
        assert normalised.raw == raw, "the raw form is kept as received"


def test_a_wrong_check_digit_is_kept_and_flagged() -> None:
    normalised = container_number("csqu 305438-4")
    assert normalised.value == "CSQU3054384"
    assert normalised.valid is False


@pytest.mark.parametrize("raw", ["", "CSQU305438", "CSQU30543833", "C5QU3054383", "ÄBCU1234567"])
def test_malformed_container_numbers_are_flagged_not_raised(raw: str) -> None:
    assert container_number(raw).valid is False


SEPARATORS = st.sampled_from([" ", "-", ".", "/", "_", "\t", "  ", " - "])


@st.composite
def valid_containers(draw: st.DrawFn) -> str:
    owner = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
    category = draw(st.sampled_from("UJZ"))
    serial = draw(st.integers(min_value=0, max_value=999_999))
    body = f"{owner}{category}{serial:06d}"
    return body + iso6346.calc_check_digit(body)


@st.composite
def decorated(draw: st.DrawFn, identifier: str) -> str:
    """The identifier with separators between random characters and random lower case."""
    parts = []
    for char in identifier:
        if draw(st.booleans()):
            char = char.lower()
        parts.append(char)
        if draw(st.booleans()):
            parts.append(draw(SEPARATORS))
    prefix = draw(st.sampled_from(["", " ", "\t"]))
    return prefix + "".join(parts)


# Near-misses of the ISO 6346 shape too, including letters and digits outside its alphabet.
CONTAINER_LIKE = st.text(alphabet="ABCJUZabcu0123456789 -./_\tÄßé٣\uff11", min_size=9, max_size=14)


@settings(max_examples=150)
@given(st.one_of(st.text(max_size=20), CONTAINER_LIKE))
def test_normalising_a_container_number_twice_changes_nothing(raw: str) -> None:
    once = container_number(raw)
    twice = container_number(once.value)
    assert twice.value == once.value
    assert twice.valid is once.valid


@settings(max_examples=100)
@given(st.data())
def test_a_valid_container_number_stays_valid_with_separators_and_lower_case(
    data: st.DataObject,
) -> None:
    identifier = data.draw(valid_containers())
    assert container_number(identifier).valid
    raw = data.draw(decorated(identifier))
    normalised = container_number(raw)
    assert normalised.value == identifier
    assert normalised.valid


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("176-1234 5675", "17612345675"),
        ("maeu123456789", "MAEU123456789"),
        (" maeu.123/456_789 ", "MAEU123456789"),
        ("HLCU-RTM-2026\t0001", "HLCURTM20260001"),
    ],
)
def test_transport_document_number(raw: str, expected: str) -> None:
    assert transport_document_number(raw) == expected


@settings(max_examples=100)
@given(st.text(alphabet=st.sampled_from("abcXYZ0123456789 -./_\t"), max_size=30))
def test_transport_document_number_has_no_separators_and_is_stable(raw: str) -> None:
    value = transport_document_number(raw)
    assert not re.search(r"[\s\-./_]", value)
    assert value == value.upper()
    assert transport_document_number(value) == value
    assert value == re.sub(r"[^A-Za-z0-9]", "", raw).upper()


def _one_edit_from_valid() -> st.SearchStrategy[str]:
    """Valid container numbers with one character replaced, inserted or deleted: the forms the
    matcher's typo neighbourhood checks by the hundred."""
    owner = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
    serial = st.text(alphabet="0123456789", min_size=6, max_size=6)
    valid = st.builds(
        lambda o, c, s: o + c + s + iso6346.calc_check_digit(o + c + s),
        owner,
        st.sampled_from("UJZR"),
        serial,
    )
    edit = st.tuples(
        valid,
        st.integers(0, 11),
        st.sampled_from(["replace", "insert", "delete"]),
        st.sampled_from("ABCXYZUJR0123456789"),
    )
    return edit.map(
        lambda e: (
            e[0][: e[1]]
            + {"replace": e[3], "insert": e[3] + e[0][e[1] : e[1] + 1], "delete": ""}[e[2]]
            + e[0][e[1] + 1 :]
        )
    )


@given(st.one_of(_one_edit_from_valid(), st.text(alphabet="ABCJRUZ0123456789", max_size=13)))
@settings(max_examples=500)
def test_the_cheap_checks_first_agree_with_stdnum(value: str) -> None:
    assert passes_iso6346(value) == iso6346.is_valid(value)


def _stdnum_passes(value: str) -> bool:
    """The check as it was, all through stdnum (after the same length and category checks)."""
    if len(value) != 11 or value[3] not in "UJZR":
        return False
    try:
        iso6346.validate(value)
    except ValueError:  # stdnum raises a bare ValueError for `_` in the owner code
        return False
    return True


# Every category and digit, some of the alphabet's letters, and what stdnum folds or refuses:
# lower case, blanks, `_`, a backtick, a fullwidth and an Arabic-Indic digit, a fullwidth and an
# accented letter.
_ISO6346_LIKE = "ABCKLVZUJR0123456789abcuj _`-\t\uff13\u0663\uff21É"


@st.composite
def _iso6346_shaped(draw: st.DrawFn) -> str:
    """Eleven characters in the ISO 6346 shape, with a right or a wrong check digit, and now and
    then a character of `_ISO6346_LIKE` in any position."""
    owner = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=3))
    body = owner + draw(st.sampled_from("UJZR")) + draw(st.from_regex(r"\A[0-9]{6}\Z"))
    check = draw(st.one_of(st.just(iso6346.calc_check_digit(body)), st.sampled_from("0123456789")))
    chars = list(body + check)
    for _ in range(draw(st.integers(0, 2))):
        chars[draw(st.integers(0, 10))] = draw(st.sampled_from(_ISO6346_LIKE))
    return "".join(chars)


@given(st.one_of(_iso6346_shaped(), st.text(alphabet=_ISO6346_LIKE, min_size=10, max_size=12)))
@settings(max_examples=1000)
def test_the_table_check_gives_stdnums_answers(value: str) -> None:
    assert passes_iso6346(value) == _stdnum_passes(value)


@pytest.mark.parametrize(
    "value",
    ["CSQU3054383", "TASU1170000", "123U1234560", "abcU1234567", "CSQU\uff13054383", "AB_U1234567"],
)
def test_the_table_check_on_examples(value: str) -> None:
    assert passes_iso6346(value) == _stdnum_passes(value)


def test_the_check_digit_table_is_stdnums() -> None:
    for body in ("CSQU305438", "TASU117000", "MSKU907032", "000U000000", "ZZZR999999"):
        assert iso6346_check_digit(body) == iso6346.calc_check_digit(body)
    assert iso6346_check_digit("CS_U305438") is None
