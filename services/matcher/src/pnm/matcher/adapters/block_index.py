"""The block keys of lines and pre-notifications as rows of key tables: kept in step with each
stored version, and searched by key (stage 4 in SQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Text,
    any_,
    column,
    delete,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.tables import line, line_key, prenotification_key
from pnm.matcher.domain.keys import WEAK
from pnm.shared.contracts.records import LineKey
from pnm.shared.db import copy_rows


async def replace_line_keys(conn: AsyncConnection, keys: dict[LineKey, Iterable[str]]) -> None:
    if not keys:
        return
    await conn.execute(delete(line_key).where(of_lines(line_key, keys)))
    await copy_rows(
        conn,
        line_key,
        ("key", "manifest_id", "line_id"),
        [(k, m, line_id) for (m, line_id), block in keys.items() for k in block],
    )


async def replace_notification_keys(
    conn: AsyncConnection, keys: Mapping[str, tuple[int, Iterable[str]]]
) -> None:
    """Per reference, the block keys of its stored version."""
    if not keys:
        return
    await conn.execute(
        delete(prenotification_key).where(prenotification_key.c.reference == any_of(keys))
    )
    await copy_rows(
        conn,
        prenotification_key,
        ("key", "reference", "version"),
        [(k, reference, version) for reference, (version, block) in keys.items() for k in block],
    )


def of_lines(table: Table, keys: Iterable[LineKey]) -> ColumnElement[bool]:
    """`(manifest_id, line_id) IN` the keys, as two array parameters: a tuple IN compiles two
    bind parameters per line, which costs more than the query for a batch of thousands."""
    pairs = sorted(set(keys))
    given = (
        func.unnest(
            literal([m for m, _ in pairs], ARRAY(Text)), literal([n for _, n in pairs], ARRAY(Text))
        )
        .table_valued("manifest_id", "line_id")
        .render_derived()
    )
    return tuple_(table.c.manifest_id, table.c.line_id).in_(
        select(given.c.manifest_id, given.c.line_id)
    )


def any_of(keys: Iterable[str]) -> Any:
    """One array parameter (`= ANY($1)`), however many keys: not one parameter per key."""
    return any_(literal(sorted(set(keys)), ARRAY(Text)))


def _probe(table: Table, keys: Iterable[str], *columns: str) -> Select[Any]:
    """The rows of a key table with any of the keys, one index probe per key. Written as a
    lateral subquery behind `OFFSET 0` so that the planner cannot turn it into a hash join: with
    thousands of keys per batch it prefers a (parallel) scan of the whole key table, which grows
    with every notification, where the probes grow only with the batch."""
    given = (
        func.unnest(literal(sorted(set(keys)), ARRAY(Text))).table_valued("key").render_derived()
    )
    found = (
        select(*(table.c[c] for c in columns))
        .where(table.c.key == given.c.key)
        .offset(literal_column("0"))
        .lateral()
    )
    return select(*(found.c[c] for c in columns)).select_from(given).join(found, true()).distinct()


def lines_by_key(keys: Iterable[str]) -> Select[Any]:
    """The lines (key, manifest_id, line_id) with any of the keys."""
    return _probe(line_key, keys, "key", "manifest_id", "line_id")


def notifications_with_keys(keys: Iterable[str]) -> Select[Any]:
    """The pre-notifications (reference, version) with any of the keys."""
    return _probe(prenotification_key, keys, "reference", "version")


def lines_near(references: Iterable[str]) -> Select[Any]:
    """Per pre-notification, the lines sharing a key with it that is not the weak block (a
    strong key or a typo neighbourhood), with what the coverage rule needs of them: the
    containers, the document, the references they quote (picked out of their keys) and the
    mass. One row per pair: the database joins the keys."""
    quoted = (
        select(func.array_agg(column("k")))
        .select_from(func.unnest(line.c.block_keys).alias("k"))
        .where(column("k").startswith("reference:"))
        .scalar_subquery()
    )
    pairs = (
        select(prenotification_key.c.reference, line_key.c.manifest_id, line_key.c.line_id)
        .join(line_key, line_key.c.key == prenotification_key.c.key)
        .where(
            prenotification_key.c.reference == any_of(references),
            ~prenotification_key.c.key.startswith(WEAK),
        )
        .distinct()
        .subquery()
    )
    return select(
        pairs.c.reference,
        line.c.manifest_id,
        line.c.line_id,
        line.c.containers,
        line.c.transport_document,
        line.c.gross_mass_kg,
        line.c.packages,
        quoted.label("references"),
    ).join(pairs, (line.c.manifest_id == pairs.c.manifest_id) & (line.c.line_id == pairs.c.line_id))
