"""Async engine and the unit of work: one transaction that holds a state change and the
events it causes (transactional outbox)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import pydantic_core
from sqlalchemy import Row, Table, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.topics import Topic
from pnm.shared.messaging.tables import MessagingTables
from pnm.shared.observability import correlation_id
from pnm.shared.versions import keep_newest

OUTBOX_COLUMNS = ("event_id", "topic", "key", "payload")


def _json_text(value: Any) -> str:
    return pydantic_core.to_json(value).decode()


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    # JSON(B) columns through pydantic-core (Rust) instead of the json module: a matcher batch
    # writes three JSON documents per line, and the json module was a tenth of its time.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        json_serializer=_json_text,
        json_deserializer=pydantic_core.from_json,
    )


class UnitOfWork:
    """`async with uow:` opens a transaction; `publish` stages events into the outbox;
    `commit` writes both at once. Leaving the block without `commit` rolls back."""

    def __init__(
        self,
        engine: AsyncEngine,
        messaging: MessagingTables,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._messaging = messaging
        self._on_commit = on_commit
        self._staged: list[tuple[str, str, str, bytes]] = []  # OUTBOX_COLUMNS
        self._before_commit: dict[str, Callable[[UnitOfWork], Awaitable[None]]] = {}
        self._conn: AsyncConnection | None = None
        self.state: dict[str, Any] = {}

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `async with` block")
        return self._conn

    @property
    def messaging(self) -> MessagingTables:
        return self._messaging

    async def __aenter__(self) -> UnitOfWork:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        self._staged = []
        self._before_commit = {}
        self.state = {}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    def publish(self, topic: Topic, key: str, event: CloudEvent) -> None:
        if event.correlationid is None and (cid := correlation_id.get()):
            event = event.model_copy(update={"correlationid": cid})
        self._staged.append((event.id, topic.name, key, event.to_json()))

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction that may fail alone: on an error its statements are
        rolled back and the events it staged are dropped; the rest of the work stays."""
        staged = len(self._staged)
        try:
            async with self.conn.begin_nested():
                yield
        except BaseException:
            del self._staged[staged:]
            raise

    def before_commit(self, name: str, callback: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        """Run `callback` once just before commit: lets handlers batch work across the events
        of one transaction (registering the same name again is a no-op)."""
        self._before_commit.setdefault(name, callback)

    async def commit(self) -> None:
        # In registration order; a callback may register another (or itself again).
        while self._before_commit:
            name = next(iter(self._before_commit))
            await self._before_commit.pop(name)(self)
        # With COPY: a batch stages thousands of events.
        await copy_rows(self.conn, self._messaging.outbox, OUTBOX_COLUMNS, self._staged)
        had_events = bool(self._staged)
        self._staged = []
        await self.conn.commit()
        if had_events and self._on_commit is not None:
            self._on_commit()


async def upsert(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    """Insert rows or replace the stored ones with the same key (one executemany: the
    statement is compiled once, whatever the number of rows)."""
    if not rows:
        return
    insert_rows = pg_insert(table)
    stmt = insert_rows.on_conflict_do_update(
        index_elements=list(key),
        set_={c: insert_rows.excluded[c] for c in rows[0] if c not in key},
    )
    await conn.execute(stmt, list(rows))


async def upsert_newer(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    version_column: str = "version",
) -> list[Row[Any]]:
    """Insert rows, or replace stored rows with a lower version; older and equal versions are
    ignored. Returns the rows that were written, with `inserted` true for new keys."""
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:  # one statement may not touch a key twice: keep each key's newest
        keep_newest(newest, tuple(row[c] for c in key), row, lambda r: int(r[version_column]))
    if not newest:
        return []
    unique = list(newest.values())
    insert_rows = pg_insert(table)
    stmt = insert_rows.on_conflict_do_update(
        index_elements=list(key),
        set_={c: insert_rows.excluded[c] for c in unique[0] if c not in key},
        where=table.c[version_column] < insert_rows.excluded[version_column],
    ).returning(
        *(table.c[k] for k in key),
        table.c[version_column],
        literal_column("(xmax = 0)").label("inserted"),
    )
    return list((await conn.execute(stmt, unique)).all())


async def copy_rows(
    conn: AsyncConnection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Append rows with COPY, in the connection's transaction: an order of magnitude cheaper
    than an executemany of INSERTs for the thousands of small rows of a key table."""
    if not rows:
        return
    raw = await conn.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, schema_name=table.schema, columns=list(columns), records=rows
    )
