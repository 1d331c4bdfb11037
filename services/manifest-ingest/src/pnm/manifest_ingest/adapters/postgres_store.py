"""Manifest ingest's store over its PostgreSQL tables (`store.LineStore`): a manifest costs a
handful of statements whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.manifest_ingest.adapters.tables import (
    arrival,
    feed,
    line_version,
    manifest_line,
    rejections,
)
from pnm.manifest_ingest.store import LineVersion
from pnm.shared.contracts.records import LineKey, ManifestLine
from pnm.shared.db import UnitOfWork, upsert
from pnm.shared.intake.postgres import FeedClock, PostgresIntakeStore

KEY_CHUNK = 5000  # keys per lookup: two bind parameters each, PostgreSQL allows 32767
FEED_CLOCK = FeedClock(feed, "source", "last_message_at")


class PostgresLineStore(PostgresIntakeStore):
    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow, rejections, FEED_CLOCK)

    async def current_lines(self, keys: Sequence[LineKey]) -> dict[LineKey, ManifestLine]:
        keys = list(keys)
        current: dict[LineKey, ManifestLine] = {}
        for start in range(0, len(keys), KEY_CHUNK):
            rows = await self.conn.execute(
                select(manifest_line.c.manifest_id, manifest_line.c.line_id, manifest_line.c.record)
                .where(
                    tuple_(manifest_line.c.manifest_id, manifest_line.c.line_id).in_(
                        keys[start : start + KEY_CHUNK]
                    )
                )
                .with_for_update()
            )
            for r in rows:
                current[(r.manifest_id, r.line_id)] = ManifestLine.model_validate(r.record)
        return current

    async def add_versions(self, versions: Sequence[LineVersion], now: datetime) -> None:
        if not versions:
            return
        await upsert(self.conn, manifest_line, [_row(v, now) for v in versions], _KEY)
        await self.conn.execute(
            pg_insert(line_version).on_conflict_do_nothing(), [_history(v) for v in versions]
        )

    async def move_eta(
        self, manifest_id: str, eta: datetime, containers: Sequence[str] | None
    ) -> int:
        query = (
            update(manifest_line)
            .where(manifest_line.c.manifest_id == manifest_id, manifest_line.c.withdrawn.is_(False))
            .values(eta=eta)
        )
        if containers is not None:
            query = query.where(manifest_line.c.containers.overlap(list(containers)))
        return int((await self.conn.execute(query)).rowcount)

    async def add_arrival(
        self, manifest_id: str, arrived_at: datetime, containers: Sequence[str] | None
    ) -> None:
        await self.conn.execute(
            insert(arrival).values(
                manifest_id=manifest_id,
                arrived_at=arrived_at,
                containers=None if containers is None else list(containers),
            )
        )


_KEY = ["manifest_id", "line_id"]


def _version(version: LineVersion) -> dict[str, Any]:
    """The columns a line's current row and its history share."""
    line = version.line.line
    return {
        "manifest_id": line.manifest_id,
        "line_id": line.line_id,
        "version": line.version,
        "withdrawn": line.withdrawn,
        "record": line.model_dump(mode="json"),
        "message": version.message,
    }


def _history(version: LineVersion) -> dict[str, Any]:
    changes = [{"field": c.field, "before": c.before, "after": c.after} for c in version.changes]
    return {**_version(version), "changes": changes}


def _row(version: LineVersion, now: datetime) -> dict[str, Any]:
    n = version.line
    line = n.line
    return {
        **_version(version),
        "received_at": now,
        "raw": n.raw,
        "flags": [f.as_json() for f in version.flags],
        "containers": list(n.keys.containers),
        "transport_document": n.keys.transport_document,
        "consignee": n.keys.consignee,
        "vessel_imo": line.vessel_imo,
        "flight_number": line.flight_number,
        "eta": line.eta,
    }
