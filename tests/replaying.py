"""The matcher's service layer driven input by input, as `pnm replay` drives it, over either
store: in memory, or PostgreSQL in one transaction rolled back at the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.memory_store import MemoryStore
from pnm.matcher.adapters.postgres_store import PostgresStore
from pnm.matcher.adapters.tables import decision
from pnm.matcher.service_layer.replay import Replay
from pnm.shared.contracts.records import Decision, LineKey, Record


class Driven(Protocol):
    replay: Replay

    async def decisions(self) -> dict[LineKey, Decision]: ...


class InMemory:
    def __init__(self, batch_size: int = 1) -> None:
        self.store = MemoryStore(shipped_indicator_set())
        self.replay = Replay(lambda: self.store, batch_size)

    async def decisions(self) -> dict[LineKey, Decision]:
        return self.store.decisions_made


class OverPostgres:
    """One store per unit of work, as the service opens one per transaction."""

    def __init__(self, conn: AsyncConnection, batch_size: int) -> None:
        self._conn = conn
        self.replay = Replay(lambda: PostgresStore(conn), batch_size)

    async def decisions(self) -> dict[LineKey, Decision]:
        rows = await self._conn.execute(
            select(decision.c.manifest_id, decision.c.line_id, decision.c.payload)
        )
        return {(r.manifest_id, r.line_id): Decision.model_validate(r.payload) for r in rows}


@asynccontextmanager
async def over_postgres(conn: AsyncConnection, batch_size: int = 1) -> AsyncIterator[OverPostgres]:
    """Everything in a transaction of `conn`, rolled back at the end."""
    transaction = await conn.begin()
    try:
        yield OverPostgres(conn, batch_size)
    finally:
        await transaction.rollback()


class Replaying:
    """In memory, each call run to its end (for tests that are not async)."""

    def __init__(self, batch_size: int = 1) -> None:
        self._matcher = InMemory(batch_size)

    def receive(self, record: Record, at: datetime) -> None:
        asyncio.run(self._matcher.replay.receive(record, at))

    def advance(self, until: datetime) -> None:
        asyncio.run(self._matcher.replay.advance(until))

    @property
    def decisions(self) -> dict[LineKey, Decision]:
        return self._matcher.store.decisions_made
