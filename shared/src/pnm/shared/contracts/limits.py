"""The limits of what any channel accepts (REST, bulk, CSV, JSON Lines, watched directories,
Kafka input events): one definition, used by the canonical records and by every intake.

Sized from the domain, with room to spare, so that a real consignment is never refused but
hostile or broken input (a 3,000-character container number, a gross mass of `Infinity`, an
ETA in year 9999) is refused at the edge with the field, the value and the rule, before it can
break a database index or a deadline computation downstream. Listed, with the rule names a
refusal carries, in docs/limits.md.

Pure: no I/O, no settings; the intake's date window (which depends on now) is `DateWindow`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

# Identifiers that name a resource in a URL (manifest_id, line_id, terminal): letters, digits
# and `.`, `_`, `:`, `-`, starting with a letter or digit. No `/`, `?`, `#`, `%`, blanks or
# control characters, so every accepted line can be fetched by
# GET .../{manifest_id}/{line_id} without escaping.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"
IDENTIFIER_MAX = 64
# A CHED reference as a feed spelt it (separators and blanks allowed, see
# pnm.prenotification.domain.references); it is stored and served in its normalised,
# URL-safe form (`CHEDPP.NL.2026.0012345`).
REFERENCE_MAX = 64
# Codes: BCP, EORI, voyage, flight number, IMO number, transport document number, species
# (UN/EDIFACT allows 35 characters for such codes; twice that for spelling variants).
CODE_MAX = 70
# A container number has 11 characters (ISO 6346); as written it may carry blanks, dashes or
# dots between them (`MSKU 907032-4`, even one between every character).
CONTAINER_MAX = 50
NAME_MAX = 350  # a party's or a vessel's name
DESCRIPTION_MAX = 4000  # a goods description
TEXT_MAX = 4000  # free text: a note, a detail, a reason

# Lists. A customs declaration holds at most 999 goods items; a bill of lading rarely more
# than a few hundred containers.
CONTAINERS_MAX = 999
GOODS_MAX = 999
COMMODITIES_MAX = 999
DOCUMENT_REFERENCES_MAX = 99
# An arrival or ETA update may list every container a vessel discharges (the largest carry
# about 24,000).
ARRIVAL_CONTAINERS_MAX = 30_000

# Numbers. The largest bulk carriers take about 400,000 t; a billion kilograms is beyond any
# one consignment. Versions are stored as PostgreSQL integers.
MASS_MAX_KG = 1e9
PACKAGES_MAX = 99_999_999
VERSION_MAX = 2**31 - 1

# Records per request or file (CSV, JSON Lines; uploaded or dropped in a watched directory): a
# manifest holds at most 20,000 lines; a bulk request or an export file of pre-notifications as
# many records. A CSV cell holds at most a description or a list of containers.
MANIFEST_RECORDS_MAX = 20_000
PRENOTIFICATION_RECORDS_MAX = 20_000
FILE_CELL_MAX = 32_768

# Nesting of a JSON document (a record is 4 deep; an indicator set a few more).
JSON_DEPTH_MAX = 32

Identifier = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=IDENTIFIER_MAX, pattern=IDENTIFIER_PATTERN
    ),
]
Reference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REFERENCE_MAX)
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CODE_MAX)]
OptionalCode = Annotated[str, StringConstraints(max_length=CODE_MAX)]
Container = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CONTAINER_MAX)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
OptionalName = Annotated[str, StringConstraints(max_length=NAME_MAX)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
Mass = Annotated[float, Field(gt=0, le=MASS_MAX_KG, allow_inf_nan=False)]
Packages = Annotated[int, Field(ge=0, le=PACKAGES_MAX)]
Version = Annotated[int, Field(ge=1, le=VERSION_MAX)]


def in_utc(value: datetime) -> datetime:
    """A datetime whose instant exists in UTC: year 1 at +14:00 or year 9999 at -12:00 does
    not, and would raise OverflowError wherever it is converted (database, deadlines)."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError(
                "datetime_out_of_range",
                "the instant {value} cannot be expressed in UTC (before year 1 or after 9999)",
                {"value": value.isoformat()},
            ) from None
    return value


# A date and time taken from a query or a request body outside the records.
Instant = Annotated[datetime, AfterValidator(in_utc)]


@dataclass(frozen=True)
class DateWindow:
    """How far before and after the time of receipt a date is plausible at intake.

    A window around now, not a property of the record: `pnm replay` feeds recorded days
    through the same records long after they happened."""

    past: timedelta
    future: timedelta

    def refusal(self, value: datetime, now: datetime) -> str | None:
        """Why `value` is outside the window around `now`, or None when it is inside."""
        # Differences, never `now ± delta`: a date near year 1 or 9999 must not overflow.
        if now - value > self.past:
            return (
                f"{value.isoformat()} is more than {_days(self.past)} before the time of "
                f"receipt {now.isoformat()}"
            )
        if value - now > self.future:
            return (
                f"{value.isoformat()} is more than {_days(self.future)} after the time of "
                f"receipt {now.isoformat()}"
            )
        return None

    def reason(self, field: str, value: datetime, now: datetime) -> dict[str, Any] | None:
        """The refusal of `field` when outside the window, as a rejection reason."""
        refusal = self.refusal(value, now)
        if refusal is None:
            return None
        return {
            "field": field,
            "value": value.isoformat(),
            "rule": f"{field}.outside_window",
            "message": f"{field} {refusal}",
            "severity": "error",
        }


def _days(delta: timedelta) -> str:
    days = delta / timedelta(days=1)
    return f"{days:g} day{'s' if days != 1 else ''}"


def json_depth(document: bytes | str) -> int:
    """How deeply the arrays and objects of a JSON text nest, without parsing it (and without
    recursion, so no document can exhaust the stack). Brackets inside strings do not count."""
    data = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    # Escapes out first, then all but quotes and brackets (C speed: the text shrinks to its
    # structure); two adjacent quotes hold no bracket between them and removing them changes
    # no other character's side of a string, so only strings with brackets are left to match.
    structure = _ESCAPE.sub(b"", data).translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    depth = deepest = 0
    for bracket in _STRING.sub(b"", structure):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*+"?')  # an unterminated string runs to the end
