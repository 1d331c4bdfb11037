"""The block keys of lines and pre-notifications as rows of key tables: kept in step with each
stored version, and searched by key (stage 4 in SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, Text, any_, delete, insert, literal, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.tables import line_key, prenotification_key

LineKey = tuple[str, str]


async def replace_line_keys(conn: AsyncConnection, keys: dict[LineKey, Iterable[str]]) -> None:
    if not keys:
        return
    await conn.execute(
        delete(line_key).where(tuple_(line_key.c.manifest_id, line_key.c.line_id).in_(list(keys)))
    )
    rows = [
        {"key": k, "manifest_id": m, "line_id": line_id}
        for (m, line_id), block in keys.items()
        for k in block
    ]
    if rows:
        await conn.execute(insert(line_key), rows)


async def replace_notification_keys(
    conn: AsyncConnection, reference: str, keys: Iterable[str]
) -> None:
    await conn.execute(
        delete(prenotification_key).where(prenotification_key.c.reference == reference)
    )
    rows = [{"key": k, "reference": reference} for k in keys]
    if rows:
        await conn.execute(insert(prenotification_key), rows)


def _any(keys: Iterable[str]) -> Any:
    """One array parameter (`= ANY($1)`), however many keys: not one parameter per key."""
    return any_(literal(sorted(set(keys)), ARRAY(Text)))


def lines_with_keys(keys: Iterable[str]) -> Select[tuple[str, str]]:
    return (
        select(line_key.c.manifest_id, line_key.c.line_id)
        .where(line_key.c.key == _any(keys))
        .distinct()
    )


def notifications_with_keys(keys: Iterable[str]) -> Select[tuple[str]]:
    return select(prenotification_key.c.reference).where(prenotification_key.c.key == _any(keys))
