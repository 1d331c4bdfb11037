"""What the parts of the matcher's PostgreSQL store (`postgres_store.PostgresStore`) share:
the transaction's connection, the lines this step wrote, and the step's footprints
(`footprints`): every question adds what it read, every write what it wrote."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.footprints import Footprint
from pnm.matcher.service_layer.store import StoredLine
from pnm.shared.contracts.records import LineKey, Record


class StoreRows:
    """The state of one store, set by `PostgresStore.__init__`; each part reads and adds to it."""

    _conn: AsyncConnection
    _known: dict[LineKey, StoredLine]  # lines this step wrote: not read back
    _read: Footprint
    _wrote: Footprint


def as_received(raw: Mapping[str, Any] | None, record: Record) -> Mapping[str, Any]:
    """The record as it came in, where it was kept; else as the model writes it."""
    return raw if raw is not None else record.model_dump(mode="json")
