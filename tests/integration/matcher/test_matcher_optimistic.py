"""A batch of lines is read and decided before the decision lock and checked under it against
what transactions committed meanwhile wrote (`pnm.matcher.adapters.footprints`). Each race
below has another transaction commit in exactly that gap; without the check, the batch would
keep a decision made on stale reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from pnm.cli.services import ALL
from pnm.matcher import handlers
from pnm.matcher.adapters.footprints import (
    RETAINED_EPOCHS,
    Footprint,
    changed_since,
    last_epoch,
    record,
)
from pnm.matcher.adapters.postgres_store import PostgresStore
from pnm.matcher.adapters.tables import decision, messaging
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import ChedType, ManifestLine, PreNotification
from pnm.shared.contracts.topics import EventType
from pnm.shared.db import UnitOfWork, make_engine
from pnm.shared.migrations import upgrade
from pnm.shared.service import ServiceContext
from pnm.testing.records import container, manifest_line, prenotification

Transaction = Callable[[], Awaitable[None]]
BOX = container(970_001)


def _notice(net_mass_kg: float = 18_000.0) -> PreNotification:
    return prenotification(
        "CHEDP.NL.2026.0970001",
        ched_type=ChedType.CHED_P,
        cn_code="0202",
        description="beef",
        containers=[BOX],
        net_mass_kg=net_mass_kg,
    )


def _beef(manifest_id: str, line_id: str, box: str = BOX) -> ManifestLine:
    return manifest_line(
        manifest_id, line_id, hs_code="020230", description="beef", containers=[box]
    )


def _steps(mode: str) -> float:
    return REGISTRY.get_sample_value("pnm_matcher_decision_steps_total", {"mode": mode}) or 0.0


class Matcher:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.clock = ServiceContext("matcher", engine, lambda: UnitOfWork(engine, messaging)).clock

    async def store_notice(self, uow: UnitOfWork, notice: PreNotification) -> None:
        event = new_event(
            type=EventType.PRENOTIFICATION_SUBMITTED,
            source="/t",
            subject=notice.reference,
            record=notice,
        )
        await handlers.on_prenotification(uow, event, self.clock)

    async def store_line(self, uow: UnitOfWork, line: ManifestLine) -> None:
        event = new_event(
            type=EventType.MANIFEST_LINE_DECLARED, source="/t", subject=line.key, record=line
        )
        await handlers.on_manifest_line(uow, event, self.clock)

    def notice(self, notice: PreNotification) -> Transaction:
        return self._transaction(lambda uow: self.store_notice(uow, notice))

    def line(self, line: ManifestLine) -> Transaction:
        return self._transaction(lambda uow: self.store_line(uow, line))

    def _transaction(self, handle: Callable[[UnitOfWork], Awaitable[None]]) -> Transaction:
        async def run() -> None:
            async with UnitOfWork(self.engine, messaging) as uow:
                await handle(uow)
                await uow.commit()

        return run

    async def statuses(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(decision.c.manifest_id, decision.c.line_id, decision.c.status)
            )
            return {f"{r.manifest_id}/{r.line_id}": r.status for r in rows}


@pytest.fixture
async def matcher(database_url: str) -> AsyncIterator[Matcher]:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    yield Matcher(engine)
    await engine.dispose()


async def _lines_racing(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch, line: ManifestLine, other: Transaction
) -> None:
    """Store and decide `line` in one transaction; `other` runs and commits just after that
    transaction has read and decided, before it takes the decision lock."""
    real = PostgresStore.serialise
    ran: list[bool] = []

    async def other_first(store: PostgresStore) -> None:
        if not ran:
            ran.append(True)
            await other()
        await real(store)

    monkeypatch.setattr(PostgresStore, "serialise", other_first)
    async with UnitOfWork(matcher.engine, messaging) as uow:
        await matcher.store_line(uow, line)
        await uow.commit()
    monkeypatch.setattr(PostgresStore, "serialise", real)
    assert ran, "the other transaction ran in the gap"


async def test_a_notification_committed_while_lines_are_decided_is_seen(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notification looked for its lines under the lock before the line was committed,
    and found none; the line's batch read before the notification was committed. The
    notification's keys are in the epoch the batch checks, so it decides again."""
    redone = _steps("redone")
    line = _beef("OPT-1", "1")
    await _lines_racing(matcher, monkeypatch, line, matcher.notice(_notice()))
    assert await matcher.statuses() == {"OPT-1/1": "notified"}
    assert _steps("redone") == redone + 1


async def test_a_line_committed_meanwhile_changes_the_mass_a_notification_is_weighed_against(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One notification (36 t) covers two lines of 18 t in one container, which come in two
    transactions. Alone, either line is far off the notified mass (review); together they
    weigh what was notified. The other line's keys are in the epoch the batch checks."""
    await matcher.notice(_notice(net_mass_kg=36_000.0))()
    first = _beef("OPT-2", "1")
    second = _beef("OPT-2", "2")
    await _lines_racing(matcher, monkeypatch, first, matcher.line(second))
    assert await matcher.statuses() == {"OPT-2/1": "notified", "OPT-2/2": "notified"}


async def test_lines_nothing_else_touched_are_decided_before_the_lock_once(
    matcher: Matcher,
) -> None:
    await matcher.notice(_notice())()
    checked, redone = _steps("checked"), _steps("redone")
    await matcher.line(_beef("OPT-3", "1"))()
    await matcher.line(_beef("OPT-4", "1", container(970_002)))()
    assert await matcher.statuses() == {
        "OPT-3/1": "notified",
        "OPT-4/1": "awaiting_notification",
    }
    assert (_steps("checked"), _steps("redone")) == (checked + 2, redone)


async def test_a_step_older_than_the_epochs_kept_decides_again(matcher: Matcher) -> None:
    async with matcher.engine.begin() as conn:
        for _ in range(RETAINED_EPOCHS + 1):
            await record(conn, Footprint(manifests={"elsewhere"}))
        newest = await last_epoch(conn)
        unrelated = Footprint(manifests={"here"})
        # Kept: the last RETAINED_EPOCHS. A step that saw the one before them has them all.
        assert not await changed_since(conn, newest - RETAINED_EPOCHS, unrelated)
        assert await changed_since(conn, newest - RETAINED_EPOCHS - 1, unrelated)
        assert await changed_since(conn, newest - 1, Footprint(manifests={"elsewhere"}))
