"""IATA air waybill numbers: 3-digit airline prefix, 8-digit serial, check digit = serial7 mod 7."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pnm.shared.identifiers import air_waybill

# The iata_awb rows of the identifier test vectors (docs/sources.md, "Identifier test vectors
# (reference tables)").
VECTORS = [
    ("020-12345675", True),  # trackjet.world MAWB page example
    ("235-98651733", True),  # public repo comment example
    ("074-12345675", True),  # constructed (KLM prefix)
    ("074-12345676", False),  # constructed INVALID
]


@pytest.mark.parametrize(("identifier", "valid"), VECTORS)
def test_vector(identifier: str, valid: bool) -> None:
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
