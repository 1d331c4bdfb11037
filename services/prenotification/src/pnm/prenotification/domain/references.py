"""CHED references: `CHEDP.NL.2026.0012345`, parsed from however a feed or a person spelt them.

Accepted: any case, surrounding whitespace, the separators `.`, `-`, `/`, `_` and blanks (or none)
between the parts, `CHED-PP` / `CHEDPP` / `CHED PP`, and the Dutch prefix `GGB` (gemeenschappelijk
gezondheidsdocument van binnenkomst) used like `CHED` (`GGB-P`, `GGBPP`). Sequences shorter than
seven digits are zero-padded; longer ones are refused. Without separators the split is still
unambiguous: the country is always two letters followed by the year, and `PP` is the only
two-letter type, so the number of letters after the prefix decides the type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycountry

from pnm.shared.contracts.records import ChedType

SEQUENCE_DIGITS = 7
MIN_YEAR, MAX_YEAR = 2000, 2099

_SEP = r"[\s.\-/_]*"
_REFERENCE = re.compile(
    rf"(?P<prefix>CHED|GGB){_SEP}(?P<type>PP|P|A|D){_SEP}(?P<country>[A-Z]{{2}}){_SEP}"
    rf"(?P<year>[0-9]{{4}}){_SEP}(?P<sequence>[0-9]+)",
    re.ASCII,
)
_PREFIX = re.compile(rf"(CHED|GGB){_SEP}(?P<rest>.*)", re.ASCII | re.DOTALL)
_TYPE = re.compile(rf"(PP|P|A|D)(?:{_SEP}[A-Z]{{2}}|{_SEP}$|[^A-Z])", re.ASCII)
_TYPES = {"PP": ChedType.CHED_PP, "P": ChedType.CHED_P, "A": ChedType.CHED_A, "D": ChedType.CHED_D}
EXAMPLE = "CHEDP.NL.2026.0012345"


class ReferenceFormatError(ValueError):
    """The reference is not a CHED reference; the message says what is wrong."""


@dataclass(frozen=True)
class ParsedReference:
    ched_type: ChedType
    country: str
    year: int
    sequence: str  # always SEQUENCE_DIGITS digits, zero-padded
    raw: str  # as received

    @property
    def normalised(self) -> str:
        kind = self.ched_type.value.replace("-", "")
        return f"{kind}.{self.country}.{self.year:04d}.{self.sequence}"


def parse_reference(raw: str) -> ParsedReference:
    text = raw.strip().upper()
    if not text:
        raise ReferenceFormatError(f"the reference is empty; expected e.g. {EXAMPLE}")
    match = _REFERENCE.fullmatch(text)
    if match is None:
        raise ReferenceFormatError(_diagnose(raw, text))
    country, year, sequence = match["country"], int(match["year"]), match["sequence"]
    if pycountry.countries.get(alpha_2=country) is None:
        raise ReferenceFormatError(
            f"reference {raw!r}: {country!r} is not an ISO 3166 alpha-2 country code"
        )
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ReferenceFormatError(
            f"reference {raw!r}: year {year} is outside {MIN_YEAR}-{MAX_YEAR}"
        )
    if len(sequence) > SEQUENCE_DIGITS:
        raise ReferenceFormatError(
            f"reference {raw!r}: sequence {sequence} has {len(sequence)} digits, "
            f"at most {SEQUENCE_DIGITS} are allowed"
        )
    return ParsedReference(
        ched_type=_TYPES[match["type"]],
        country=country,
        year=year,
        sequence=sequence.zfill(SEQUENCE_DIGITS),
        raw=raw,
    )


def _diagnose(raw: str, text: str) -> str:
    """The most specific reason the reference does not match."""
    prefix = _PREFIX.fullmatch(text)
    if prefix is None:
        return f"reference {raw!r} does not start with CHED or GGB; expected e.g. {EXAMPLE}"
    if _TYPE.match(prefix["rest"]) is None:
        return (
            f"reference {raw!r} has no valid CHED type after the prefix: "
            f"expected PP, P, A or D (as in CHED-PP, CHED-P, CHED-A, CHED-D)"
        )
    return (
        f"reference {raw!r} is not of the form <type>.<country>.<year>.<sequence> "
        f"(e.g. {EXAMPLE}): a two-letter country, a four-digit year and a sequence of "
        f"at most {SEQUENCE_DIGITS} digits"
    )
