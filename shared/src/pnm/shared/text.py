"""Text that PostgreSQL can store: no NUL characters and no lone UTF-16 surrogates (both are
valid in JSON and in Python strings, and both are refused by PostgreSQL text and jsonb)."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
SHOWN_MAX = 200  # characters of a refused value quoted back in a refusal


def unstorable(text: str) -> bool:
    if text.isascii():  # a flag of the string, read in constant time: no surrogate can be in it
        return "\x00" in text
    return _UNSTORABLE.search(text) is not None


def storable(value: Any) -> Any:
    """`value` (JSON-like) with every unstorable character replaced by U+FFFD: for keeping
    what was refused exactly as far as it can be kept. Numbers jsonb cannot hold (NaN,
    Infinity) are kept as their text."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def digest(*parts: str) -> bytes:
    """A fixed-size key for an identity, whatever the length of its parts: an index entry of
    the identifiers themselves is limited (PostgreSQL's btree to about 2,700 bytes)."""
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def shown(value: Any) -> str | None:
    """A refused value as quoted back to the caller and kept with the refusal: text, at most
    SHOWN_MAX characters, storable (and so always encodable as UTF-8)."""
    return None if value is None else storable(str(value)[:SHOWN_MAX])
