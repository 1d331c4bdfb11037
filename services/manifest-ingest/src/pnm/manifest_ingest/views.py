"""The manifest service's reads: stored lines, their versions, searches and the feed's
activity, as the API returns them. Reads only; the routes map "not found" to 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.manifest_ingest.adapters.tables import feed, line_version, manifest_line
from pnm.shared.identifiers import container_number, transport_document_number


class ManifestLineOut(BaseModel):
    manifest_id: str
    line_id: str
    version: int
    withdrawn: bool
    eta: datetime | None  # the current expected arrival: the line's, or a later ETA update
    flags: list[dict[str, Any]]
    raw: dict[str, Any]
    record: dict[str, Any]


class VersionOut(BaseModel):
    version: int
    withdrawn: bool
    changes: list[dict[str, Any]]
    message: str | None
    received_at: datetime
    record: dict[str, Any]


class FeedOut(BaseModel):
    source: str
    last_message_at: datetime | None


def _stored(row: Any) -> ManifestLineOut:
    return ManifestLineOut.model_validate(
        {**row._mapping, "flags": row.flags or [], "raw": row.raw or {}}
    )


async def manifest(
    conn: AsyncConnection, manifest_id: str, limit: int, offset: int
) -> list[ManifestLineOut]:
    """A manifest's lines in line order."""
    rows = await conn.execute(
        select(manifest_line)
        .where(manifest_line.c.manifest_id == manifest_id)
        .order_by(manifest_line.c.line_id)
        .limit(limit)
        .offset(offset)
    )
    return [_stored(r) for r in rows]


async def line(conn: AsyncConnection, manifest_id: str, line_id: str) -> ManifestLineOut | None:
    row = (
        await conn.execute(
            select(manifest_line).where(
                manifest_line.c.manifest_id == manifest_id, manifest_line.c.line_id == line_id
            )
        )
    ).first()
    return _stored(row) if row is not None else None


async def history(conn: AsyncConnection, manifest_id: str, line_id: str) -> list[VersionOut]:
    """Every accepted version of a line, oldest first."""
    rows = await conn.execute(
        select(line_version)
        .where(line_version.c.manifest_id == manifest_id, line_version.c.line_id == line_id)
        .order_by(line_version.c.version)
    )
    return [VersionOut.model_validate(dict(r._mapping)) for r in rows]


@dataclass(frozen=True)
class LineSearch:
    container: str | None = None
    transport_document: str | None = None
    vessel_imo: str | None = None
    flight_number: str | None = None
    eta_from: datetime | None = None
    eta_to: datetime | None = None
    withdrawn: bool | None = None


async def search(
    conn: AsyncConnection, wanted: LineSearch, limit: int, offset: int
) -> list[ManifestLineOut]:
    """Lines by container, transport document, vessel or flight and ETA window; ordered by
    ETA, manifest and line (stable across pages). Identifiers are compared normalised."""
    m = manifest_line.c
    query = select(manifest_line).order_by(m.eta, m.manifest_id, m.line_id)
    if wanted.container is not None:
        query = query.where(m.containers.contains([container_number(wanted.container).value]))
    if wanted.transport_document is not None:
        document = transport_document_number(wanted.transport_document).replace("-", "")
        query = query.where(func.replace(m.transport_document, "-", "") == document)
    if wanted.vessel_imo is not None:
        query = query.where(m.vessel_imo == wanted.vessel_imo)
    if wanted.flight_number is not None:
        query = query.where(m.flight_number == wanted.flight_number.upper().replace(" ", ""))
    if wanted.eta_from is not None:
        query = query.where(m.eta >= wanted.eta_from)
    if wanted.eta_to is not None:
        query = query.where(m.eta < wanted.eta_to)
    if wanted.withdrawn is not None:
        query = query.where(m.withdrawn == wanted.withdrawn)
    return [_stored(r) for r in await conn.execute(query.limit(limit).offset(offset))]


async def feed_activity(conn: AsyncConnection, source: str) -> FeedOut:
    """When the feed last sent something (lines or arrivals)."""
    row = (await conn.execute(select(feed).where(feed.c.source == source))).first()
    return FeedOut(source=source, last_message_at=row.last_message_at if row else None)
