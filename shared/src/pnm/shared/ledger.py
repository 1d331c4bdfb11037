"""The recording side of a completeness ledger (see `pnm.shared.reconciliation` and
docs/completeness.md): its consumer, and the entries of a batch written by one statement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.shared.clock import Clock
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.topics import Topic
from pnm.shared.db import UnitOfWork
from pnm.shared.service import Ledger, ServiceContext
from pnm.shared.versions import keep_newest

Seen = Callable[[UnitOfWork, CloudEvent, Clock], Awaitable[None]]


def reconciliation_ledger(
    ctx: ServiceContext, topic: Topic, seen: Seen, unreadable: Table
) -> Ledger:
    """The consumer of the service's reconciliation: `seen` records each event of `topic`."""
    clock = ctx.clock

    async def record(uow: UnitOfWork, event: CloudEvent) -> None:
        await seen(uow, event, clock)

    return Ledger(name="reconciliation", handlers={topic.name: record}, unreadable=unreadable)


@dataclass(frozen=True)
class LedgerBatch:
    """The entries a batch of events brings to a ledger table, written by one statement before
    the batch commits. Per `key` the newest by `version` wins, within the batch and against the
    table; `updates` are the columns a newer entry sets, given the statement's `excluded`."""

    table: Table
    key: str
    version: str
    updates: Callable[[Any], Mapping[str, Any]]

    @property
    def _name(self) -> str:
        return f"ledger.{self.table.name}"

    def stage(self, uow: UnitOfWork, entry: dict[str, Any]) -> None:
        staged: dict[Any, dict[str, Any]] = uow.state.setdefault(self._name, {})
        keep_newest(staged, entry[self.key], entry, lambda kept: int(kept[self.version]))
        uow.before_commit(self._name, self._store)

    async def _store(self, uow: UnitOfWork) -> None:
        entries = list(uow.state.pop(self._name, {}).values())
        if not entries:
            return
        table, statement = self.table, pg_insert(self.table)
        await uow.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c[self.key]],
                set_=self.updates(statement.excluded),
                # Newer version wins (pnm.shared.versions), in SQL.
                where=table.c[self.version] < statement.excluded[self.version],
            ),
            entries,
        )
