"""Manifest ingest's store (pnm.manifest_ingest.store.LineStore) in memory, behaving as
adapters/postgres_store.py does: one current version per line key, the history keyed by line
and version (a version kept already stays as it is), an ETA moved only on lines not withdrawn
that share a container when containers are named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from intake_fakes import MemoryIntakeStore

from pnm.manifest_ingest.store import LineVersion
from pnm.shared.contracts.records import LineKey, ManifestLine


@dataclass
class KeptLine:
    """The columns of a `manifest_line` row the service layer reads or changes."""

    line: ManifestLine
    containers: frozenset[str]  # normalised, as the row's array
    eta: datetime
    message: str | None


@dataclass(frozen=True)
class KeptArrival:
    manifest_id: str
    arrived_at: datetime
    containers: tuple[str, ...] | None


class MemoryLineStore(MemoryIntakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[LineKey, KeptLine] = {}
        self.history: dict[tuple[LineKey, int], LineVersion] = {}
        self.arrivals: list[KeptArrival] = []

    async def current_lines(self, keys: Sequence[LineKey]) -> dict[LineKey, ManifestLine]:
        return {k: self.lines[k].line for k in keys if k in self.lines}

    async def add_versions(self, versions: Sequence[LineVersion], now: datetime) -> None:
        for version in versions:
            n = version.line
            key = (n.line.manifest_id, n.line.line_id)
            self.lines[key] = KeptLine(
                n.line, frozenset(n.keys.containers), n.line.eta, version.message
            )
            self.history.setdefault((key, n.line.version), version)

    async def move_eta(
        self, manifest_id: str, eta: datetime, containers: Sequence[str] | None
    ) -> int:
        moved = 0
        for (manifest, _), kept in self.lines.items():
            if manifest != manifest_id or kept.line.withdrawn:
                continue
            if containers is not None and not kept.containers & set(containers):
                continue
            kept.eta = eta
            moved += 1
        return moved

    async def add_arrival(
        self, manifest_id: str, arrived_at: datetime, containers: Sequence[str] | None
    ) -> None:
        kept = None if containers is None else tuple(containers)
        self.arrivals.append(KeptArrival(manifest_id, arrived_at, kept))
