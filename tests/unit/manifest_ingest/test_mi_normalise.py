"""Normalisation of a manifest line: normalised record, raw values, flags and matching keys."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iso6346

from pnm.manifest_ingest.domain.normalise import Flag, LineKeys, NormalisedLine, normalise_line
from pnm.shared.contracts.records import GoodsItem, ManifestLine, Mode, Party, TransportDocument
from pnm.testing.records import container, manifest_line

# The container and air waybill rows of the identifier test vectors (docs/sources.md,
# "Identifier test vectors (reference tables)").
VECTORS = Path(__file__).parent / "data" / "vectors.csv"


def _vectors(scheme: str) -> list[tuple[str, bool]]:
    with VECTORS.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["scheme"] == scheme]
    return [(row["identifier"], row["result"] == "valid") for row in rows]


CONTAINERS = _vectors("container_iso6346")
AIR_WAYBILLS = _vectors("iata_awb")


def _line(containers: list[str] | None = None, **update: Any) -> ManifestLine:
    line = manifest_line(
        "M1",
        "L1",
        hs_code="020130",
        description="frozen boneless beef",
        containers=containers if containers is not None else [container(1)],
        bill_of_lading="MAEU254123987",
    )
    return line.model_copy(update=update) if update else line


def _air_line(number: str) -> ManifestLine:
    return _line(
        containers=[],
        mode=Mode.AIR,
        transport_document=TransportDocument(type="AWB", number=number),
    )


def _at(line: ManifestLine, path: str) -> Any:
    value: Any = line.model_dump()
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _rules(result: NormalisedLine) -> list[tuple[str, str]]:
    return [(flag.field, flag.rule) for flag in result.flags]


def test_the_fixture_has_valid_and_invalid_vectors() -> None:
    for vectors in (CONTAINERS, AIR_WAYBILLS):
        assert any(valid for _, valid in vectors)
        assert not all(valid for _, valid in vectors)
    assert len(CONTAINERS) >= 10


def test_a_clean_line_is_unchanged_and_has_its_keys() -> None:
    line = _line()
    result = normalise_line(line)
    assert result.line == line
    assert result.raw == {}
    assert result.flags == ()
    assert result.keys == LineKeys(
        containers=(container(1),),
        transport_document="MAEU254123987",
        consignee="van der berg import",
        hs_codes=("020130",),
    )


@pytest.mark.parametrize(("identifier", "valid"), CONTAINERS)
def test_container_vectors(identifier: str, valid: bool) -> None:
    owner, serial, check = identifier[:4], identifier[4:10], identifier[10]
    raw = f"{owner.lower()} {serial}-{check}"
    result = normalise_line(_line([raw]))
    assert result.line.containers == [identifier]
    assert result.raw == {"containers.0": raw}
    assert result.keys.containers == (identifier,)
    if valid:
        assert result.flags == ()
    else:
        expected = iso6346.calc_check_digit(identifier[:10])
        assert result.flags == (
            Flag(
                "containers.0",
                identifier,
                "container.check_digit",
                f"container {identifier} fails the ISO 6346 check digit (expected {expected}, "
                f"got {check}): kept, probably a typo",
            ),
        )


def test_a_container_that_is_no_iso_6346_number_is_kept_and_flagged() -> None:
    result = normalise_line(_line(["msku 90703", "-"]))
    assert result.line.containers == ["MSKU90703", "-"]  # nothing left: the raw value stays
    assert result.raw == {"containers.0": "msku 90703"}
    assert _rules(result) == [
        ("containers.0", "container.check_digit"),
        ("containers.1", "container.check_digit"),
    ]
    assert "not an ISO 6346 container number" in result.flags[0].message
    assert result.keys.containers == ("MSKU90703",)


def test_container_keys_are_a_sorted_set() -> None:
    result = normalise_line(_line(["tolu 473478 7", "CSQU3054383", "TOLU-4734787"]))
    assert result.line.containers == ["TOLU4734787", "CSQU3054383", "TOLU4734787"]
    assert result.keys.containers == ("CSQU3054383", "TOLU4734787")
    assert set(result.raw) == {"containers.0", "containers.2"}


@pytest.mark.parametrize(("identifier", "valid"), AIR_WAYBILLS)
def test_air_waybill_vectors(identifier: str, valid: bool) -> None:
    raw = identifier.replace("-", " ")
    result = normalise_line(_air_line(raw))
    assert result.line.transport_document == TransportDocument(type="AWB", number=identifier)
    assert result.raw == {"transport_document.number": raw}
    assert result.keys.transport_document == identifier
    assert _rules(result) == (
        [] if valid else [("transport_document.number", "transport_document.check_digit")]
    )
    if not valid:
        assert result.flags[0].value == identifier
        assert "fails the check digit" in result.flags[0].message


def test_an_air_waybill_of_the_wrong_shape_is_kept_and_flagged() -> None:
    result = normalise_line(_air_line("awb 074-1234567"))
    assert result.line.transport_document.number == "AWB0741234567"
    assert _rules(result) == [("transport_document.number", "transport_document.check_digit")]
    assert "not an IATA air waybill number" in result.flags[0].message


@pytest.mark.parametrize(
    ("type_", "raw", "value"),
    [
        ("BL", "maeu 254-123-987", "MAEU254123987"),
        ("HBL", "hlcu.scl.260910263", "HLCUSCL260910263"),
        ("HAWB", "rtm/0012-a", "RTM0012A"),
        ("CMR", "nl 123456", "NL123456"),
    ],
)
def test_other_transport_documents_lose_their_separators(type_: str, raw: str, value: str) -> None:
    line = _line(transport_document=TransportDocument(type=type_, number=raw))
    result = normalise_line(line)
    assert result.line.transport_document.number == value
    assert result.raw == {"transport_document.number": raw}
    assert result.keys.transport_document == value
    assert result.flags == ()


def test_a_transport_document_of_separators_only_is_kept_and_flagged() -> None:
    result = normalise_line(_line(transport_document=TransportDocument(type="BL", number="-/-")))
    assert result.line.transport_document.number == "-/-"
    assert result.raw == {}
    assert _rules(result) == [("transport_document.number", "transport_document.format")]
    assert result.keys.transport_document == ""


def test_countries_that_do_not_exist_are_flagged_and_kept() -> None:
    line = _line(
        consignee=Party(name="Van der Berg Import B.V.", country="QQ"),
        country_of_origin="ZZ",
    )
    result = normalise_line(line)
    assert result.line == line
    assert result.raw == {}
    assert _rules(result) == [
        ("consignee.country", "country.unknown"),
        ("country_of_origin", "country.unknown"),
    ]
    assert result.flags[0].value == "QQ"


def test_eu_country_codes_become_iso_and_keep_their_raw_value() -> None:
    line = _line(consignor=Party(name="British Beef Ltd", country="UK"))
    item = line.goods[0].model_copy(update={"country_of_origin": "XK"})
    result = normalise_line(line.model_copy(update={"goods": [item]}))
    assert result.line.consignor.country == "GB"
    assert result.line.goods[0].country_of_origin == "XK"  # Kosovo is valid as it is
    assert result.raw == {"consignor.country": "UK"}
    assert result.flags == ()


def test_hs_codes_are_digits_and_only_valid_ones_are_keys() -> None:
    # The schema refuses such codes; normalisation still copes with them (model_construct).
    line = _line()
    item = line.goods[0]
    goods = [
        GoodsItem.model_construct(**{**item.model_dump(), "item": 1, "hs_code": "0201.30"}),
        GoodsItem.model_construct(**{**item.model_dump(), "item": 2, "hs_code": "02"}),
        item.model_copy(update={"item": 3, "hs_code": "0806"}),
        item.model_copy(update={"item": 4, "hs_code": None}),
        item.model_copy(update={"item": 5, "hs_code": "020130"}),
    ]
    result = normalise_line(line.model_copy(update={"goods": goods}))
    assert [g.hs_code for g in result.line.goods] == ["020130", "02", "0806", None, "020130"]
    assert result.raw == {"goods.0.hs_code": "0201.30"}
    assert result.flags == (
        Flag(
            "goods.1.hs_code",
            "02",
            "hs_code.length",
            "HS code '02' has 2 digits, not 4 to 10: kept, but not used for matching",
        ),
    )
    assert result.keys.hs_codes == ("020130", "0806")


def test_the_consignee_key_is_its_party_name() -> None:
    line = _line(consignee=Party(name="VAN DER BERG-IMPORT bv", country="NL"))
    result = normalise_line(line)
    assert result.keys.consignee == "van der berg import"
    assert result.line.consignee.name == "VAN DER BERG-IMPORT bv"  # names stay as declared


def test_the_raw_values_are_those_of_the_line_as_received() -> None:
    line = _line(
        ["msku 907032 3", "MSKU9070324"],
        transport_document=TransportDocument(type="BL", number="maeu-254123987"),
        consignee=Party(name="X", country="EL"),
    )
    result = normalise_line(line)
    assert result.raw == {
        "containers.0": "msku 907032 3",
        "transport_document.number": "maeu-254123987",
        "consignee.country": "EL",
    }
    for path, raw in result.raw.items():
        assert _at(line, path) == raw
        assert _at(result.line, path) != raw


# --- properties --------------------------------------------------------------------------------

SEPARATORS = st.sampled_from([" ", "-", ".", "/", "_", "  ", " - "])


@st.composite
def valid_containers(draw: st.DrawFn) -> str:
    owner = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
    serial = draw(st.integers(min_value=0, max_value=999_999))
    body = f"{owner}{draw(st.sampled_from('UJZ'))}{serial:06d}"
    return body + iso6346.calc_check_digit(body)


@st.composite
def noisy(draw: st.DrawFn, identifier: str) -> str:
    """The identifier with random lower case and separators between its characters."""
    parts = []
    for char in identifier:
        parts.append(char.lower() if draw(st.booleans()) else char)
        if draw(st.booleans()):
            parts.append(draw(SEPARATORS))
    return "".join(parts)


CONTAINER_LIKE = st.text(alphabet="ABCUJZabcu0123456789 -./_", min_size=1, max_size=14).filter(
    str.strip
)
NUMBERS = st.text(alphabet="abcXYZ0123456789 -./_", min_size=1, max_size=16).filter(str.strip)
COUNTRIES = st.sampled_from(["NL", "AR", "GB", "XK", "XI", "UK", "EL", "QQ", "ZZ"])
HS_CODES = st.one_of(st.none(), st.from_regex(r"[0-9]{4,10}", fullmatch=True))


@st.composite
def lines(draw: st.DrawFn) -> ManifestLine:
    containers = draw(
        st.lists(st.one_of(valid_containers().flatmap(noisy), CONTAINER_LIKE), max_size=4)
    )
    type_ = draw(st.sampled_from(["BL", "HBL", "AWB", "HAWB", "CMR"]))
    number = draw(st.one_of(NUMBERS, st.sampled_from([v for v, _ in AIR_WAYBILLS]).flatmap(noisy)))
    line = manifest_line(
        "M1",
        "L1",
        hs_code=draw(HS_CODES),
        description="goods",
        containers=containers,
        origin=draw(COUNTRIES),
    )
    item = line.goods[0].model_copy(update={"country_of_origin": draw(COUNTRIES)})
    return line.model_copy(
        update={
            "transport_document": TransportDocument(type=type_, number=number.strip()),
            "consignee": Party(name="Van der Berg Import B.V.", country=draw(COUNTRIES)),
            "goods": [item, item.model_copy(update={"item": 2, "hs_code": draw(HS_CODES)})],
        }
    )


@settings(max_examples=150)
@given(lines())
def test_normalising_twice_changes_nothing(line: ManifestLine) -> None:
    once = normalise_line(line)
    twice = normalise_line(once.line)
    assert twice.line == once.line
    assert twice.raw == {}
    assert twice.flags == once.flags
    assert twice.keys == once.keys


@settings(max_examples=100)
@given(lines())
def test_the_normalised_line_still_satisfies_the_schema(line: ManifestLine) -> None:
    normalised = normalise_line(line).line
    assert ManifestLine.model_validate(normalised.model_dump()) == normalised


@settings(max_examples=100)
@given(st.data())
def test_a_valid_container_stays_valid_under_case_and_separator_noise(
    data: st.DataObject,
) -> None:
    identifier = data.draw(valid_containers())
    raw = data.draw(noisy(identifier)).strip()
    result = normalise_line(_line([raw]))
    assert result.line.containers == [identifier]
    assert result.keys.containers == (identifier,)
    assert result.flags == ()
    assert result.raw == ({} if raw == identifier else {"containers.0": raw})
