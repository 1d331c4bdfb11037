"""Which version of a record wins: the newer one. An equal or older version never replaces the
stored one, everywhere (docs/architecture.md, "Delivery guarantees": idempotent writes), so that
a redelivered or late input changes nothing. Versions are the records' `version` or a
decision's `decision_number`; both count up from 1."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def newer_wins(stored: int | None, incoming: int) -> bool:
    """Whether the incoming version replaces the stored one (`None`: nothing is stored)."""
    return stored is None or incoming > stored


def keep_newest(kept: MutableMapping[K, V], key: K, item: V, version: Callable[[V], int]) -> bool:
    """Keep `item` under `key` unless what is kept there is as new or newer; whether it was
    kept. Several versions of one record in a batch thus end on the newest, whatever their
    order."""
    known = kept.get(key)
    if not newer_wins(None if known is None else version(known), version(item)):
        return False
    kept[key] = item
    return True
