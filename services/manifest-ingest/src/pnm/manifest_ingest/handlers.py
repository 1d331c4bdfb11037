"""Service layer: store manifest lines and arrivals, stage their events; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert

from pnm.manifest_ingest.adapters.tables import arrival, manifest_line
from pnm.manifest_ingest.domain.amendments import line_event_type
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import Arrival, ManifestLine, line_key
from pnm.shared.contracts.topics import MANIFEST_ARRIVALS, MANIFEST_LINES, EventType
from pnm.shared.db import UnitOfWork, upsert_newer

SOURCE = "/pnm/manifest-ingest"


@dataclass(frozen=True)
class LinesResult:
    received: int
    stored: int  # new lines and newer versions; the rest were known versions


async def declare_lines(uow: UnitOfWork, lines: Sequence[ManifestLine]) -> LinesResult:
    by_key = {(line.manifest_id, line.line_id): line for line in lines}
    written = await upsert_newer(
        uow.conn,
        manifest_line,
        [
            {
                "manifest_id": line.manifest_id,
                "line_id": line.line_id,
                "version": line.version,
                "withdrawn": line.withdrawn,
                "record": line.model_dump(mode="json"),
            }
            for line in lines
        ],
        key=["manifest_id", "line_id"],
    )
    for row in written:
        line = by_key[(row.manifest_id, row.line_id)]
        uow.publish(
            MANIFEST_LINES,
            line.key,
            new_event(
                type=line_event_type(line, bool(row.inserted)),
                source=SOURCE,
                subject=line_key(line.manifest_id, line.line_id),
                record=line,
            ),
        )
    return LinesResult(received=len(lines), stored=len(written))


async def record_arrival(uow: UnitOfWork, record: Arrival) -> None:
    await uow.conn.execute(
        insert(arrival).values(
            manifest_id=record.manifest_id,
            arrived_at=record.arrived_at,
            containers=record.containers,
        )
    )
    uow.publish(
        MANIFEST_ARRIVALS,
        record.manifest_id,
        new_event(type=EventType.ARRIVAL, source=SOURCE, subject=record.manifest_id, record=record),
    )
