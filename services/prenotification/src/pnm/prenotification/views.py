"""The pre-notification service's reads: searches, a record, its versions, the feeds' health.
Reads only; the routes map "not found" to 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.prenotification.adapters.postgres_store import feed_state
from pnm.prenotification.adapters.tables import feed, prenotification, prenotification_version
from pnm.prenotification.domain.references import ReferenceFormatError, parse_reference
from pnm.prenotification.feeds import SYSTEMS
from pnm.prenotification.store import FeedState
from pnm.shared.contracts.records import FeedStatus
from pnm.shared.identifiers import container_number, transport_document_number


@dataclass(frozen=True)
class Search:
    reference: str | None = None
    container: str | None = None
    transport_document: str | None = None
    importer: str | None = None  # part of the importer's name
    bcp: str | None = None
    system: str | None = None
    status: str | None = None
    arrival_from: datetime | None = None
    arrival_to: datetime | None = None


def _like(part: str) -> str:
    """A LIKE pattern for a part of a name, its wildcards taken literally."""
    escaped = part.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(
    conn: AsyncConnection, wanted: Search, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Ordered by expected arrival, then reference (stable across pages). Identifiers are
    compared normalised; a reference that cannot be one finds nothing."""
    p = prenotification.c
    query = select(p.record).order_by(p.expected_arrival, p.reference)
    if wanted.reference is not None:
        try:
            query = query.where(p.reference == parse_reference(wanted.reference).normalised)
        except ReferenceFormatError:
            return []
    if wanted.container is not None:
        query = query.where(p.containers.contains([container_number(wanted.container).value]))
    if wanted.transport_document is not None:
        document = transport_document_number(wanted.transport_document)
        query = query.where(p.transport_document == document)
    if wanted.importer is not None:
        query = query.where(func.lower(p.importer_name).like(_like(wanted.importer)))
    if wanted.bcp is not None:
        query = query.where(p.bcp == wanted.bcp.upper())
    if wanted.system is not None:
        query = query.where(p.system == wanted.system)
    if wanted.status is not None:
        query = query.where(p.status == wanted.status)
    if wanted.arrival_from is not None:
        query = query.where(p.expected_arrival >= wanted.arrival_from)
    if wanted.arrival_to is not None:
        query = query.where(p.expected_arrival < wanted.arrival_to)
    return [dict(r.record) for r in await conn.execute(query.limit(limit).offset(offset))]


async def record(conn: AsyncConnection, reference: str) -> dict[str, Any] | None:
    """The current version of a pre-notification, by its normalised reference."""
    row = (
        await conn.execute(
            select(prenotification.c.record).where(prenotification.c.reference == reference)
        )
    ).first()
    return dict(row.record) if row is not None else None


async def versions(conn: AsyncConnection, reference: str) -> list[dict[str, Any]]:
    """Every accepted version, oldest first, by its normalised reference."""
    rows = await conn.execute(
        select(prenotification_version)
        .where(prenotification_version.c.reference == reference)
        .order_by(prenotification_version.c.version)
    )
    return [dict(r._mapping) for r in rows]


async def feed_statuses(conn: AsyncConnection, now: datetime) -> list[FeedStatus]:
    """Each feed's status, a feed never heard of included."""
    states = {r.system: feed_state(r) for r in await conn.execute(select(feed))}
    return [states.get(system, FeedState()).status(system, now) for system in SYSTEMS]
