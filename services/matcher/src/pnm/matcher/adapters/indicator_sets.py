"""Indicator sets kept in the database: uploaded by an analyst (validated, with who and when),
activated explicitly; the newest activation decides. Without any, the shipped set decides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.tables import indicator_set
from pnm.matcher.domain.indicators import IndicatorSet, IndicatorSetDocument


class UnknownIndicatorSet(LookupError):
    pass


class IndicatorSetExists(ValueError):
    pass


# Compiled sets by (version, uploaded_at): a stored version never changes, and the upload time
# tells a set from one of the same name in a database that was reset (tests, demos). Only the
# key is read per transaction; the document once per process.
_COMPILED: dict[tuple[str, datetime], IndicatorSet] = {}


async def _compiled(conn: AsyncConnection, version: str, uploaded_at: datetime) -> IndicatorSet:
    key = (version, uploaded_at)
    if key not in _COMPILED:
        document = await conn.scalar(
            select(cast(indicator_set.c.document, Text)).where(indicator_set.c.version == version)
        )
        _COMPILED[key] = IndicatorSet(IndicatorSetDocument.model_validate_json(str(document)))
    return _COMPILED[key]


async def active_indicator_set(conn: AsyncConnection) -> IndicatorSet:
    row = (
        await conn.execute(
            select(indicator_set.c.version, indicator_set.c.uploaded_at)
            .where(indicator_set.c.activated_at.is_not(None))
            .order_by(indicator_set.c.activated_at.desc())
            .limit(1)
        )
    ).first()
    return shipped_indicator_set() if row is None else await _compiled(conn, *row)


async def indicator_set_by_version(conn: AsyncConnection, version: str) -> IndicatorSet:
    shipped = shipped_indicator_set()
    if version == shipped.version:
        return shipped
    row = (
        await conn.execute(
            select(indicator_set.c.version, indicator_set.c.uploaded_at).where(
                indicator_set.c.version == version
            )
        )
    ).first()
    if row is None:
        raise UnknownIndicatorSet(f"no indicator set {version!r}")
    return await _compiled(conn, *row)


async def store_indicator_set(
    conn: AsyncConnection, document: IndicatorSetDocument, by: str, now: datetime
) -> None:
    if document.version == shipped_indicator_set().version:
        raise IndicatorSetExists(f"{document.version} is the shipped set's version")
    inserted = await conn.execute(
        pg_insert(indicator_set)
        .values(
            version=document.version,
            document=document.model_dump(mode="json"),
            uploaded_by=by,
            uploaded_at=now,
        )
        .on_conflict_do_nothing()
        .returning(indicator_set.c.version)
    )
    if inserted.first() is None:
        raise IndicatorSetExists(
            f"indicator set {document.version!r} exists; a version is never changed, "
            "upload a new one"
        )


async def activate_indicator_set(
    conn: AsyncConnection, version: str, by: str, now: datetime
) -> None:
    updated = await conn.execute(
        indicator_set.update()
        .where(indicator_set.c.version == version)
        .values(activated_by=by, activated_at=now)
        .returning(indicator_set.c.version)
    )
    if updated.first() is None:
        raise UnknownIndicatorSet(f"no indicator set {version!r}")


async def list_indicator_sets(conn: AsyncConnection) -> list[dict[str, Any]]:
    active = (await active_indicator_set(conn)).version
    rows = await conn.execute(
        select(
            indicator_set.c.version,
            indicator_set.c.uploaded_by,
            indicator_set.c.uploaded_at,
            indicator_set.c.activated_by,
            indicator_set.c.activated_at,
            indicator_set.c.document["note"].astext.label("note"),
        ).order_by(indicator_set.c.uploaded_at)
    )
    shipped = shipped_indicator_set().version
    listed = [
        {"version": shipped, "shipped": True, "active": active == shipped},
    ]
    listed += [{**r._asdict(), "shipped": False, "active": r.version == active} for r in rows]
    return listed
