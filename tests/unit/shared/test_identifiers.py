"""Identifier normalisation (`pnm.shared.identifiers`): ISO 6346 container numbers, transport
document numbers, IATA air waybills, countries, party names, HS codes and typed transport
documents, a section each. One test module for the one source module, so that each rule is
tested in one place: that is why it runs past 400 lines."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import iso6346

from pnm.shared.identifiers import (
    LEGAL_FORMS,
    Normalised,
    air_waybill,
    container_number,
    country_code,
    hs_code_normalised,
    iso6346_check_digit,
    party_name,
    passes_iso6346,
    transport_document,
    transport_document_number,
)

# --- container_number, passes_iso6346, transport_document_number -------------------------------


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


# --- air_waybill -------------------------------------------------------------------------------

# The iata_awb rows of the identifier test vectors (docs/sources.md, "Identifier test vectors
# (reference tables)").
AIR_WAYBILL_VECTORS = [
    ("020-12345675", True),  # trackjet.world MAWB page example
    ("235-98651733", True),  # public repo comment example
    ("074-12345675", True),  # constructed (KLM prefix)
    ("074-12345676", False),  # constructed INVALID
]


@pytest.mark.parametrize(("identifier", "valid"), AIR_WAYBILL_VECTORS)
def test_air_waybill_vector(identifier: str, valid: bool) -> None:
    normalised = air_waybill(identifier)
    assert normalised.value == identifier
    assert normalised.valid is valid
    assert normalised.raw == identifier


@pytest.mark.parametrize(
    "raw", ["02012345675", "020 1234 5675", " 020.12345675 ", "020-1234-5675", "020_12345675"]
)
def test_separators_are_accepted(raw: str) -> None:
    normalised = air_waybill(raw)
    assert normalised.value == "020-12345675"
    assert normalised.valid
    assert normalised.raw == raw


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("", ""),
        ("020-1234567", "0201234567"),  # 10 digits
        ("020-123456756", "020123456756"),  # 12 digits
        ("awb 020-12345675", "AWB02012345675"),
        ("020-1234567\u0665", "0201234567\u0665"),  # an Arabic-Indic 5 is no ASCII digit
        ("hawb-x12", "HAWBX12"),
    ],
)
def test_anything_but_eleven_digits_is_invalid_and_kept_stripped(raw: str, value: str) -> None:
    normalised = air_waybill(raw)
    assert normalised.valid is False
    assert normalised.value == value


@given(st.integers(0, 999), st.integers(0, 9_999_999), st.integers(0, 9))
def test_exactly_the_serial_mod_7_digit_is_valid(prefix: int, serial: int, check: int) -> None:
    normalised = air_waybill(f"{prefix:03d}{serial:07d}{check}")
    assert normalised.value == f"{prefix:03d}-{serial:07d}{check}"
    assert normalised.valid is (check == serial % 7)
    again = air_waybill(normalised.value)
    assert (again.value, again.valid) == (normalised.value, normalised.valid)


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
