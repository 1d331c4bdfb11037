"""What manifest ingest's service layer asks of its storage (`handlers`), besides what every
intake asks (pnm.shared.intake.store): the current version of lines, a new version kept, an ETA
moved, an arrival recorded. PostgreSQL implements it in adapters/postgres_store.py, the unit
tests in memory (tests/unit/manifest_ingest/manifest_fakes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pnm.manifest_ingest.domain.diff import Change
from pnm.manifest_ingest.domain.normalise import NormalisedLine
from pnm.shared.contracts.records import LineKey, ManifestLine
from pnm.shared.intake.model import Issue
from pnm.shared.intake.store import IntakeStore


@dataclass(frozen=True)
class LineVersion:
    """A line's new current version: normalised, its flags, what it changed against the one
    before, and the request or file that brought it."""

    line: NormalisedLine
    flags: Sequence[Issue]
    changes: Sequence[Change]
    message: str | None


class LineStore(IntakeStore, Protocol):
    async def current_lines(self, keys: Sequence[LineKey]) -> dict[LineKey, ManifestLine]:
        """The stored version of each line that has one, locked until the caller commits."""

    async def add_versions(self, versions: Sequence[LineVersion], now: datetime) -> None:
        """Each becomes its line's current version and is added to its history (a version
        the history holds already stays as it is); at most one per line."""

    async def move_eta(
        self, manifest_id: str, eta: datetime, containers: Sequence[str] | None
    ) -> int:
        """The new ETA on the manifest's lines not withdrawn (only those carrying one of
        `containers` when given); how many lines it moved."""

    async def add_arrival(
        self, manifest_id: str, arrived_at: datetime, containers: Sequence[str] | None
    ) -> None:
        """The manifest's vessel or flight arrived (only `containers` when given)."""
