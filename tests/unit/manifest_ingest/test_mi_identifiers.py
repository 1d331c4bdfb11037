"""Identifier normalisation the manifest side adds: countries, party names, HS codes, documents."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pnm.shared.identifiers import (
    LEGAL_FORMS,
    Normalised,
    country_code,
    hs_code_normalised,
    party_name,
    transport_document,
)

# --- country_code ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("NL", "NL"),
        ("nl", "NL"),
        (" nl ", "NL"),
        ("NLD", "NL"),
        ("nld", "NL"),
        ("Netherlands", "NL"),
        ("NETHERLANDS", "NL"),
        ("the Netherlands", "NL"),
        ("Argentina", "AR"),
        ("ARG", "AR"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d\u2019Ivoire", "CI"),  # no accent, typographic apostrophe
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Türkiye", "TR"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),  # the EU's code for the United Kingdom
        ("EL", "GR"),  # the EU's code for Greece
        ("XK", "XK"),  # Kosovo, used by EU customs, not in ISO 3166
        ("xi", "XI"),  # Northern Ireland
        ("Kosovo", "XK"),
    ],
)
def test_known_countries_give_their_alpha_2(raw: str, value: str) -> None:
    assert country_code(raw) == Normalised(raw, value, True)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("QQ", "QQ"), (" zz ", "ZZ"), ("Atlantis", "ATLANTIS"), ("", ""), ("528", "528")],
)
def test_unknown_countries_are_kept_stripped_upper_case_and_invalid(raw: str, value: str) -> None:
    assert country_code(raw) == Normalised(raw, value, False)


def test_no_country_is_none() -> None:
    assert country_code(None) is None


@settings(max_examples=100)
@given(st.text(alphabet="abcdeflnrstuxzABCDNLQZ '-.", max_size=12))
def test_a_country_code_normalises_to_itself(raw: str) -> None:
    once = country_code(raw)
    assert once is not None
    if once.valid:
        assert re.fullmatch(r"[A-Z]{2}", once.value)
    assert country_code(once.value) == Normalised(once.value, once.value, once.valid)


# --- party_name --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Van der Berg Import B.V.", "van der berg import"),
        ("VAN DER BERG IMPORT BV", "van der berg import"),
        ("van der Berg-Import b.v.", "van der berg import"),
        ("Frigorífico del Sur S.A.", "frigorifico del sur"),
        ("Müller Fleischwaren GmbH & Co. KG", "muller fleischwaren"),
        ("Straße Logistik GmbH", "strasse logistik"),
        ("A.P. Moller - Maersk A/S", "a p moller maersk"),
        ("Mowi ASA", "mowi"),
        ("Ocean Fresh Seafood Co., Ltd.", "ocean fresh seafood"),
        ("Green Valley Exports Private Limited", "green valley exports"),
        ("Distribuidora del Norte S.A. de C.V.", "distribuidora del norte"),
        ("Frutas Tropicales Ltda.", "frutas tropicales"),
        ("Agro Polska Sp. z o.o.", "agro polska"),
        ("  Global   Fruit\tTrading Inc. ", "global fruit trading"),
        ("AB", "ab"),  # nothing but a legal form: kept rather than empty
        ("SAA B.V.", "saa"),  # a name that is also a legal form (S.A.A.), as without the B.V.
    ],
)
def test_party_name(raw: str, key: str) -> None:
    assert party_name(raw) == key


def test_legal_forms_are_removed_only_as_whole_words() -> None:
    # "co" in "Cocoa", "ag" in "Agro", "sa" in "Salmon", "bv" in nothing: words stay whole.
    assert party_name("Cocoa Agro Salmon Corpus B.V.") == "cocoa agro salmon corpus"


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_party_name_is_idempotent(raw: str) -> None:
    key = party_name(raw)
    assert party_name(key) == key
    assert key == key.strip()
    assert "  " not in key


VARIANTS = [
    ["B.V.", "BV", "b.v", "B V", "bv."],
    ["N.V.", "NV", "n v"],
    ["GmbH", "G.m.b.H.", "GMBH", "gmbh."],
    ["Ltd", "Ltd.", "LTD", "Limited", "LIMITED"],
    ["S.A.", "SA", "s.a", "S A"],
    ["S.p.A.", "SpA", "S.P.A.", "spa"],
    ["A/S", "AS", "a.s.", "A S"],
    ["Inc.", "Inc", "INC", "Incorporated"],
    ["Co.", "Co", "Company", "CO."],
    ["Corp", "Corp.", "Corporation"],
    ["LLC", "L.L.C.", "llc"],
    ["S.A.R.L.", "SARL", "Sàrl"],
    ["Pty Ltd", "Pty. Ltd.", "PTY LIMITED"],
    ["", " "],
]
FORM_TOKENS = {token for form in LEGAL_FORMS for token in re.split(r"[\W_]+", form.casefold())}
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüñø", min_size=3, max_size=10).filter(
    lambda word: party_name(word) not in FORM_TOKENS and word not in FORM_TOKENS
)


@settings(max_examples=150)
@given(
    st.lists(WORDS, min_size=1, max_size=4),
    st.sampled_from(VARIANTS),
    st.data(),
)
def test_party_name_does_not_depend_on_how_the_legal_form_is_spelled(
    words: list[str], variants: list[str], data: st.DataObject
) -> None:
    first = data.draw(st.sampled_from(variants))
    second = data.draw(st.sampled_from(variants))
    separator = data.draw(st.sampled_from([" ", ", ", " - "]))
    name = " ".join(word.title() if i % 2 else word for i, word in enumerate(words))
    expected = party_name(name)
    assume(expected)
    assert party_name(f"{name}{separator}{first}") == expected
    assert party_name(f"{name.upper()}{separator}{second}") == expected


# --- hs_code_normalised ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "valid"),
    [
        ("0201", "0201", True),
        ("0201.30", "020130", True),
        ("0806 10 10", "08061010", True),
        ("0303.89.90.00", "0303899000", True),
        ("02", "02", False),  # a chapter is not specific enough
        ("020", "020", False),
        ("03038990001", "03038990001", False),  # 11 digits
        ("ex", "", False),
        ("0201\u0665", "0201", True),  # an Arabic-Indic digit is no HS digit
    ],
)
def test_hs_code_normalised(raw: str, value: str, valid: bool) -> None:
    assert hs_code_normalised(raw) == Normalised(raw, value, valid)


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_no_hs_code_is_none(raw: str | None) -> None:
    assert hs_code_normalised(raw) is None


# --- transport_document ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "number", "value", "valid"),
    [
        ("AWB", "020 1234 5675", "020-12345675", True),
        ("AWB", "02012345675", "020-12345675", True),
        ("AWB", "074-12345676", "074-12345676", False),  # check digit
        ("AWB", "074-1234567", "0741234567", False),  # 10 digits
        ("HAWB", "hawb-rtm 0012/a", "HAWBRTM0012A", True),  # house AWBs are free-format
        ("HAWB", "02012345676", "02012345676", True),  # no check digit on a house AWB
        ("BL", "maeu 254-123-987", "MAEU254123987", True),
        ("HBL", "hlcu.scl.260910263", "HLCUSCL260910263", True),
        ("CMR", "nl 123456", "NL123456", True),
        ("BL", " - / ", "", False),
        ("HAWB", "--", "", False),
    ],
)
def test_transport_document(type_: str, number: str, value: str, valid: bool) -> None:
    assert transport_document(type_, number) == Normalised(number, value, valid)
