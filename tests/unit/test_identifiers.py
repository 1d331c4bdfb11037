"""Identifier normalisation at the edges: ISO 6346 container numbers and transport documents."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iso6346

from pnm.shared.identifiers import container_number, passes_iso6346, transport_document_number

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
