"""The matcher applies a consumed batch in one transaction, whatever the order of the events
in it: a pre-notification before its lines, or after, gives the same decisions."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from pnm.cli.services import ALL
from pnm.matcher import handlers
from pnm.matcher.adapters.tables import decision, messaging
from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import ChedType, Record
from pnm.shared.contracts.topics import MANIFEST_LINES, PRENOTIFICATIONS, EventType
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.messaging.processor import EventProcessor
from pnm.shared.messaging.transport import IncomingMessage
from pnm.shared.migrations import upgrade
from pnm.shared.service import ServiceContext
from pnm.testing.records import container, manifest_line, prenotification


class NoDeadLetters:
    async def dead_letter(self, *args: object) -> None:
        raise AssertionError(f"nothing here is poison: {args}")


@pytest.mark.parametrize("notice_first", [True, False])
async def test_one_batch_in_either_order_gives_the_same_decisions(
    database_url: str, notice_first: bool
) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    ctx = ServiceContext("matcher", engine, lambda: UnitOfWork(engine, messaging))
    processor = EventProcessor(
        service="matcher",
        consumer="test",
        uow_factory=ctx.uow_factory,
        handlers=ALL["matcher"].subscriptions(ctx),
        dead_letters=NoDeadLetters(),
    )
    boxes = [container(950_000 + n) for n in range(3)]
    notice = prenotification(
        "CHEDP.NL.2026.0950000",
        ched_type=ChedType.CHED_P,
        cn_code="0202",
        description="beef",
        containers=boxes[:2],
    )
    lines = [
        manifest_line("BATCH-1", str(n), hs_code="020230", description="beef", containers=[box])
        for n, box in enumerate(boxes)
    ]
    events = [
        IncomingMessage(
            MANIFEST_LINES.name,
            0,
            n,
            line.key.encode(),
            new_event(
                type=EventType.MANIFEST_LINE_DECLARED, source="/t", subject=line.key, record=line
            ).to_json(),
        )
        for n, line in enumerate(lines)
    ]
    notice_event = IncomingMessage(
        PRENOTIFICATIONS.name,
        0,
        0,
        notice.reference.encode(),
        new_event(
            type=EventType.PRENOTIFICATION_SUBMITTED,
            source="/t",
            subject=notice.reference,
            record=notice,
        ).to_json(),
    )
    await processor.process([notice_event, *events] if notice_first else [*events, notice_event])
    async with engine.connect() as conn:
        decided = {
            r.line_id: r.status
            for r in await conn.execute(select(decision.c.line_id, decision.c.status))
        }
    await engine.dispose()
    assert decided == {"0": "notified", "1": "notified", "2": "awaiting_notification"}


@pytest.mark.parametrize("held_open", ["notification", "line"])
async def test_a_line_and_its_notification_in_concurrent_transactions_still_meet(
    database_url: str, held_open: str
) -> None:
    """Two transactions that overlap: one has stored its input and is still open when the
    other commits. Without the decision step serialised, and without the open one looking for
    affected lines or candidates only in that step, neither sees the other."""
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    box = container(960_001)
    notice = prenotification(
        "CHEDP.NL.2026.0960001",
        ched_type=ChedType.CHED_P,
        cn_code="0202",
        description="beef",
        containers=[box],
    )
    line = manifest_line("RACE-1", "1", hs_code="020230", description="beef", containers=[box])
    clock = ServiceContext("matcher", engine, lambda: UnitOfWork(engine, messaging)).clock

    def event(type_: str, subject: str, record: Record) -> CloudEvent:
        return new_event(type=type_, source="/t", subject=subject, record=record)

    async def store_notice(uow: UnitOfWork) -> None:
        await handlers.on_prenotification(
            uow, event(EventType.PRENOTIFICATION_SUBMITTED, notice.reference, notice), clock
        )

    async def store_line(uow: UnitOfWork) -> None:
        await handlers.on_manifest_line(
            uow, event(EventType.MANIFEST_LINE_DECLARED, line.key, line), clock
        )

    first, second = (store_notice, store_line)
    if held_open == "line":
        first, second = second, first
    open_uow = UnitOfWork(engine, messaging)
    await open_uow.__aenter__()
    await first(open_uow)  # handled, not committed

    async def other_transaction() -> None:
        async with UnitOfWork(engine, messaging) as uow:
            await second(uow)
            await uow.commit()

    racing = asyncio.create_task(other_transaction())
    await asyncio.sleep(0.5)  # the other transaction is under way (or waiting its turn)
    await open_uow.commit()
    await open_uow.__aexit__(None, None, None)
    await racing
    async with engine.connect() as conn:
        status = await conn.scalar(select(decision.c.status).where(decision.c.line_id == "1"))
    await engine.dispose()
    assert status == "notified"
