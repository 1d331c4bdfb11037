"""Recorded inputs through the service layer with the clock driven by their times: what
`pnm replay` and the property tests run. Deadlines fire at their own moments, before any
later input counts, as the service's deadline scan would have fired them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pnm.matcher.service_layer.batch import Batch
from pnm.matcher.service_layer.service import Settings, apply, decide_due
from pnm.matcher.service_layer.store import Store
from pnm.shared.clock import Clock
from pnm.shared.contracts.records import Record

# A replay has the whole file: no pre-notification is on its way (docs/watermark.md).
REPLAY = Settings(awaits_watermark=False)


def _clock(at: datetime) -> Clock:
    return lambda: at


class Replay:
    """`store`: the store of each unit of work (a store in memory is the same one each time;
    the PostgreSQL store is one per transaction). `batch_size`: inputs of the same moment
    applied as one unit of work, as a consumed batch is (1: each input on its own).
    Decisions do not depend on it."""

    def __init__(self, store: Callable[[], Store], batch_size: int = 1) -> None:
        self._store = store
        self._batch_size = batch_size
        self._batch = Batch()
        self._inputs = 0
        self._at: datetime | None = None

    async def receive(self, record: Record, at: datetime) -> None:
        """Any input record, by its type, received at `at` (not before the previous one)."""
        if self._at is not None and (at != self._at or self._inputs >= self._batch_size):
            await self.flush()
        await self._fire(at)
        self._batch.add(record, at)
        self._at = at
        self._inputs += 1
        if self._inputs >= self._batch_size:
            await self.flush()

    async def flush(self) -> None:
        """Apply the inputs received so far."""
        at = self._at
        if at is not None and self._batch:
            await apply(self._batch, self._store(), _clock(at), REPLAY)
        self._batch, self._inputs = Batch(), 0

    async def advance(self, until: datetime) -> None:
        """Let time pass: every input applied, deadlines up to `until` fired."""
        await self.flush()
        await self._fire(until)

    async def _fire(self, until: datetime) -> None:
        while (due := await self._store().next_due()) is not None and due <= until:
            if self._batch:
                await self.flush()
            await decide_due(self._store(), _clock(due), REPLAY, None)
