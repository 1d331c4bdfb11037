"""One corpus day through the matcher service on PostgreSQL (its event handlers, one
transaction per consumed batch, the deadline scan at each deadline) and through `pnm replay`'s
driver over the store in memory: the same decisions, field by field, decision numbers and
times included. The day has a VGC outage, signs of life, ETA updates and arrivals."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pnm.cli.replay import RECORDS
from pnm.cli.services import ALL
from pnm.matcher import app
from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.memory_store import MemoryStore
from pnm.matcher.adapters.postgres_store import PostgresStore
from pnm.matcher.adapters.tables import decision, messaging
from pnm.matcher.service_layer.replay import Replay
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import Record
from pnm.shared.contracts.topics import (
    FEEDS,
    MANIFEST_ARRIVALS,
    MANIFEST_ETA,
    MANIFEST_LINES,
    PRENOTIFICATIONS,
    EventType,
)
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.migrations import upgrade
from pnm.shared.service import ServiceContext

DAY = Path(__file__).parents[2] / "data" / "corpus" / "rotterdam-2026-04-27.jsonl"
# How each kind of replay input reaches the service: its topic and event type.
ROUTES = {
    "manifest.line": (MANIFEST_LINES.name, EventType.MANIFEST_LINE_DECLARED),
    "manifest.arrival": (MANIFEST_ARRIVALS.name, EventType.ARRIVAL),
    "manifest.eta": (MANIFEST_ETA.name, EventType.ETA_UPDATED),
    "prenotification": (PRENOTIFICATIONS.name, EventType.PRENOTIFICATION_SUBMITTED),
    "prenotification.feed": (FEEDS.name, EventType.FEED_HEARTBEAT),
}


def _inputs() -> list[tuple[str, datetime, Record]]:
    rows = [json.loads(raw) for raw in DAY.read_text().splitlines() if raw.strip()]
    return [
        (r["type"], datetime.fromisoformat(r["time"]), RECORDS[r["type"]].model_validate(r["data"]))
        for r in rows
    ]


async def _replayed(inputs: list[tuple[str, datetime, Record]]) -> dict[str, object]:
    store = MemoryStore(shipped_indicator_set())
    replay = Replay(lambda: store, batch_size=len(inputs))  # inputs of one moment together
    for _, at, record in inputs:
        await replay.receive(record, at)
    await replay.advance(inputs[-1][1])
    return {f"{m}/{n}": d.model_dump(mode="json") for (m, n), d in store.decisions_made.items()}


async def test_a_corpus_day_gives_the_same_decisions_in_the_service_and_the_replay(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = _inputs()
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    now = [inputs[0][1]]
    ctx = ServiceContext(
        "matcher", engine, lambda: UnitOfWork(engine, messaging), clock=lambda: now[0]
    )
    handlers = ALL["matcher"].subscriptions(ctx)
    monkeypatch.setenv("PNM_MATCHER_AWAIT_PRENOTIFICATION_WATERMARK", "false")  # as a replay
    try:
        for at, group in itertools.groupby(inputs, key=lambda i: i[1]):
            # The deadline scan, at each deadline that passes before these inputs.
            while True:
                async with engine.connect() as conn:
                    due = await PostgresStore(conn).next_due()
                if due is None or due > at:
                    break
                now[0] = due
                await app.decide_due(ctx, limit=100_000)
            now[0] = at
            async with UnitOfWork(engine, messaging) as uow:
                for kind, _, record in group:
                    topic, event_type = ROUTES[kind]
                    event = new_event(type=event_type, source="/t", subject="s", record=record)
                    await handlers[topic](uow, event)
                await uow.commit()
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(decision.c.manifest_id, decision.c.line_id, decision.c.payload)
            )
            service = {f"{r.manifest_id}/{r.line_id}": r.payload for r in rows}
    finally:
        await engine.dispose()
    replayed = await _replayed(inputs)
    assert len(service) == len(replayed) == 1000
    differ = [key for key in sorted(replayed) if service.get(key) != replayed[key]]
    assert differ == [], [(k, service.get(k), replayed[k]) for k in differ[:3]]
