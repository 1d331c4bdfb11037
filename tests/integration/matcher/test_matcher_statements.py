"""The PostgreSQL store answers per batch, not per line or event: a consumed batch of ten lines
and ten pre-notifications and one of a hundred of each cost the same number of statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from pnm.cli.services import ALL
from pnm.matcher import handlers
from pnm.matcher.adapters.tables import messaging
from pnm.shared.clock import utc_now
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import ChedType
from pnm.shared.contracts.topics import EventType
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.migrations import upgrade
from pnm.testing.records import container, manifest_line, prenotification


async def test_a_batch_costs_the_same_statements_whatever_its_size(database_url: str) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)

    async def batch(first: int, size: int) -> int:
        statements.clear()
        async with UnitOfWork(engine, messaging) as uow:
            for n in range(first, first + size):
                box = container(930_000 + n)
                line = manifest_line(
                    f"STMT-{n}", "1", hs_code="020230", description="beef", containers=[box]
                )
                notice = prenotification(
                    f"CHEDP.NL.2026.{930_000 + n:07d}",
                    ched_type=ChedType.CHED_P,
                    cn_code="0202",
                    description="beef",
                    containers=[box],
                )
                for record, kind in (
                    (line, EventType.MANIFEST_LINE_DECLARED),
                    (notice, EventType.PRENOTIFICATION_SUBMITTED),
                ):
                    cloud = new_event(type=kind, source="/t", subject="s", record=record)
                    if kind == EventType.MANIFEST_LINE_DECLARED:
                        await handlers.on_manifest_line(uow, cloud, utc_now)
                    else:
                        await handlers.on_prenotification(uow, cloud, utc_now)
            await uow.commit()
        return len(statements)

    try:
        # The lines of earlier batches are candidates' lines too (one vessel, one consignee):
        # after the first, every batch also reads some of them back.
        await batch(0, 5)
        small = await batch(10, 10)
        large = await batch(100, 100)
    finally:
        await engine.dispose()
    assert small == large, (small, large)
