"""Identifier normalisation at the edges (architecture §6.1), over python-stdnum.

An identifier whose check digit fails is kept, normalised, and flagged: it is evidence of a
typo and the matcher still needs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum import iso6346

_SEPARATORS = re.compile(r"[\s\-./_]+")


@dataclass(frozen=True)
class Normalised:
    raw: str
    value: str
    valid: bool


@lru_cache(maxsize=1 << 16)  # the same containers come back on lines and notifications
def container_number(raw: str) -> Normalised:
    value = _SEPARATORS.sub("", raw).upper()
    try:
        iso6346.validate(value)
        valid = True
    except ValueError:  # ValidationError, or a character outside the ISO 6346 alphabet
        valid = False
    return Normalised(raw, value, valid)


def transport_document_number(raw: str) -> str:
    """B/L and AWB numbers: upper case, separators stripped (`176-1234 5675` → `17612345675`)."""
    return _SEPARATORS.sub("", raw).upper()


def hs_code(raw: str | None) -> str | None:
    if raw is None:
        return None
    digits = re.sub(r"\D", "", raw)
    return digits or None


_AWB = re.compile(r"[0-9]{11}")


def air_waybill(raw: str) -> Normalised:
    """IATA air waybill: 3-digit airline prefix + 8-digit serial (`020-12345675`).

    The last serial digit is the check digit: the first seven serial digits as a number, mod 7.
    python-stdnum has no AWB module, hence the hand-written check. Anything that is not 11
    digits after stripping separators is invalid and kept upper-case without separators.
    """
    value = _SEPARATORS.sub("", raw).upper()
    if not _AWB.fullmatch(value):
        return Normalised(raw, value, False)
    valid = int(value[3:10]) % 7 == int(value[10])
    return Normalised(raw, f"{value[:3]}-{value[3:]}", valid)
