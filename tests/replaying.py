"""The matcher's service layer over a store in memory, driven step by step from a test (each
call runs the replay's coroutine to its end)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.memory_store import MemoryStore
from pnm.matcher.service_layer.replay import Replay
from pnm.shared.contracts.records import Decision, Record

LineKey = tuple[str, str]


class Replaying:
    def __init__(self, batch_size: int = 1) -> None:
        self.store = MemoryStore(shipped_indicator_set())
        self._replay = Replay(self.store, batch_size)

    def receive(self, record: Record, at: datetime) -> None:
        asyncio.run(self._replay.receive(record, at))

    def advance(self, until: datetime) -> None:
        asyncio.run(self._replay.advance(until))

    @property
    def decisions(self) -> dict[LineKey, Decision]:
        return self.store.decisions_made
