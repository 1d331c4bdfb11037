"""CHED references: parsing tolerant spellings into CHEDP.NL.2026.0012345."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnm.prenotification.domain.references import (
    ParsedReference,
    ReferenceFormatError,
    parse_reference,
)
from pnm.shared.contracts.records import ChedType


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CHEDP.NL.2026.0012345", "CHEDP.NL.2026.0012345"),
        ("CHEDPP.NL.2026.0000001", "CHEDPP.NL.2026.0000001"),
        ("  ched-pp.nl.2026.0000001\t", "CHEDPP.NL.2026.0000001"),
        ("CHED-PP NL 2026 1", "CHEDPP.NL.2026.0000001"),
        ("CHED PP/NL/2026/12345", "CHEDPP.NL.2026.0012345"),
        ("ched_a_be_2025_7654321", "CHEDA.BE.2025.7654321"),
        ("CHEDD-DE-2030-42", "CHEDD.DE.2030.0000042"),
        ("GGB-P.NL.2026.12345", "CHEDP.NL.2026.0012345"),
        ("ggbpp.nl.2026.1", "CHEDPP.NL.2026.0000001"),
        ("GGB A NL 2026 0000009", "CHEDA.NL.2026.0000009"),
        ("CHEDPNL20260012345", "CHEDP.NL.2026.0012345"),
        ("CHEDPPNL20261", "CHEDPP.NL.2026.0000001"),
        ("CHEDPPL2026.5", "CHEDP.PL.2026.0000005"),  # 3 letters after CHED: type P, Poland
        ("CHED - P . NL . 2026 . 0012345", "CHEDP.NL.2026.0012345"),
    ],
)
def test_normalisation_examples(raw: str, expected: str) -> None:
    reference = parse_reference(raw)
    assert reference.normalised == expected
    assert reference.raw == raw


def test_fields() -> None:
    reference = parse_reference("chedpp.nl.2026.12")
    assert reference == ParsedReference(
        ChedType.CHED_PP, "NL", 2026, "0000012", "chedpp.nl.2026.12"
    )


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("IMP.NL.2026.1", "does not start with CHED or GGB"),
        ("CHEDX.NL.2026.1", "no valid CHED type"),
        ("CHED.NL.2026.1", "no valid CHED type"),
        ("CHEDP.XX.2026.1", "'XX' is not an ISO 3166"),
        ("CHEDP.NL.1999.1", "year 1999 is outside 2000-2099"),
        ("CHEDP.NL.2100.1", "year 2100 is outside 2000-2099"),
        ("CHEDP.NL.2026.12345678", "sequence 12345678 has 8 digits"),
        ("CHEDP.NL.26.1", "is not of the form"),
        ("CHEDP.NL.2026", "is not of the form"),
        ("CHEDP.NLD.2026.1", "is not of the form"),
        ("CHEDP.NL.2026.12A", "is not of the form"),
        ("CHEDP.NL.2026.\u0661\u0662", "is not of the form"),  # non-ASCII digits
    ],
)
def test_malformed_references_say_what_is_wrong(raw: str, says: str) -> None:
    with pytest.raises(ReferenceFormatError) as err:
        parse_reference(raw)
    assert says in str(err.value)
    assert isinstance(err.value, ValueError)


# Property tests --------------------------------------------------------------------------

COUNTRIES = st.sampled_from(["NL", "BE", "DE", "FR", "PL", "PT", "AD", "LT", "GB", "US", "CN"])
SEPARATORS = st.sampled_from(["", ".", "-", " ", "/", "_", " - ", "..", "\t"])


@st.composite
def references(draw: st.DrawFn) -> ParsedReference:
    sequence = draw(st.integers(0, 9_999_999))
    return ParsedReference(
        ched_type=draw(st.sampled_from(list(ChedType))),
        country=draw(COUNTRIES),
        year=draw(st.integers(2000, 2099)),
        sequence=f"{sequence:07d}",
        raw="",
    )


@st.composite
def messy(draw: st.DrawFn, reference: ParsedReference) -> str:
    """A spelling of the reference as a person or a feed might type it."""
    kind = reference.ched_type.value.removeprefix("CHED-")
    prefix = draw(st.sampled_from(["CHED", "GGB"]))
    sequence = reference.sequence
    if draw(st.booleans()):
        sequence = sequence.lstrip("0") or "0"
    parts = [prefix, kind, reference.country, str(reference.year), sequence]
    text = parts[0]
    for part in parts[1:]:
        text += draw(SEPARATORS) + part
    if draw(st.booleans()):
        text = text.lower()
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " ", "\n"]))


def _same(a: ParsedReference, b: ParsedReference) -> bool:
    return (a.ched_type, a.country, a.year, a.sequence) == (
        b.ched_type,
        b.country,
        b.year,
        b.sequence,
    )


@settings(max_examples=300)
@given(st.data())
def test_a_reference_round_trips_through_its_normalised_and_a_messy_spelling(
    data: st.DataObject,
) -> None:
    reference = data.draw(references())
    assert _same(parse_reference(reference.normalised), reference)
    raw = data.draw(messy(reference))
    parsed = parse_reference(raw)
    assert _same(parsed, reference), raw
    assert parsed.normalised == reference.normalised
    assert parsed.raw == raw


REFERENCE_LIKE = st.text(alphabet="CHEDGBPAdpa NLBEXZ0123456789.-/_", max_size=30)


@settings(max_examples=300)
@given(
    st.one_of(REFERENCE_LIKE, st.text(max_size=30), st.builds(lambda r: r.normalised, references()))
)
def test_normalising_twice_changes_nothing(raw: str) -> None:
    try:
        once = parse_reference(raw)
    except ReferenceFormatError:
        return
    twice = parse_reference(once.normalised)
    assert twice.normalised == once.normalised
    assert _same(twice, once)
