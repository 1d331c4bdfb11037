"""The holds store's two implementations keep and refuse alike: PostgreSQL
(`adapters.postgres_store`) and the fake the unit tests run the service layer over
(tests/unit/holds/holds_fakes.py). Every case runs on both; a fake that drifts from the
SQL fails here (docs/holds.md, "The store")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from holds_fakes import MemoryHoldStore
from infra import decision_record

from pnm.cli.services import ALL
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.opening import Line, open_hold
from pnm.holds.store import AlreadyHeld, ConcurrentChange, Hold, HoldStore
from pnm.shared.contracts.records import Decision, DecisionStatus, Regime
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LINE = Line("CONTRACT-1", "1", "ECTDELTA", [container(5)], "BL-1", 1)
Transaction = Callable[[], AbstractAsyncContextManager[HoldStore]]


@pytest.fixture
def memory() -> Transaction:
    store = MemoryHoldStore()

    @asynccontextmanager
    async def in_memory() -> AsyncIterator[HoldStore]:
        yield store

    return in_memory


@pytest.fixture
async def postgres(database_url: str) -> AsyncIterator[Transaction]:
    async with Pipeline([ALL["holds"]], database_url=database_url, transport="inprocess") as p:
        factory = p.services["holds"].context.uow_factory

        @asynccontextmanager
        async def committed() -> AsyncIterator[HoldStore]:
            async with factory() as uow:
                yield PostgresHoldStore(uow)
                await uow.commit()

        yield committed


@pytest.fixture(params=["postgres", "memory"])
def transaction(request: pytest.FixtureRequest) -> Transaction:
    """A committed transaction over the store, one at a time."""
    made: Transaction = request.getfixturevalue(request.param)
    return made


async def opened(transaction: Transaction, regime: Regime = Regime.VET) -> Hold:
    async with transaction() as store:
        return await open_hold(store, LINE, regime, "unnotified", T0)


async def test_one_standing_hold_per_line_and_regime(transaction: Transaction) -> None:
    held = await opened(transaction)
    async with transaction() as store:
        assert await store.hold(held.hold_id) == held
        with pytest.raises(AlreadyHeld) as refused:
            await store.open_hold(replace(held, hold_id="H-2"))
        assert refused.value.hold_id == held.hold_id
    phyto = await opened(transaction, Regime.PHYTO)
    async with transaction() as store:
        assert await store.standing_regimes(LINE.manifest_id, LINE.line_id) in (
            ["phyto", "vet"],
            ["vet", "phyto"],
        )
        line = (LINE.manifest_id, LINE.line_id)
        assert await store.standing_of_line(*line) == [phyto, held]
        assert await store.lines_with_standing_holds({line, ("OTHER", "1")}) == {line}
        await store.update_hold(held, {"state": "released", "closed_at": T0}, T0)
    async with transaction() as store:
        assert await store.standing(*line, "vet") is None
        again = await store.open_hold(replace(held, hold_id="H-3"))
        # What opening writes, and the rest as the table gives it to a new hold.
        assert (again.state, again.containers) == (held.state, held.containers)
        assert (again.block_status, again.current_instruction_id, again.last_sequence) == (
            "none",
            None,
            0,
        )
        assert (await store.standing(*line, "vet")) == again


async def test_a_hold_changes_only_as_read(transaction: Transaction) -> None:
    held = await opened(transaction)
    later = T0 + timedelta(minutes=1)
    async with transaction() as store:
        moved = await store.update_hold(held, {"containers": [container(6)]}, later)
        assert (moved.containers, moved.updated_at) == ((container(6),), later)
        with pytest.raises(ConcurrentChange):
            await store.update_hold(held, {"escalation": "x"}, later)
    async with transaction() as store:
        assert await store.hold(held.hold_id) == moved


async def test_a_line_takes_only_a_higher_decision_number(transaction: Transaction) -> None:
    def decided(number: int) -> list[Decision]:
        return [decision_record("CONTRACT-1", "1", number=number, status=DecisionStatus.NOTIFIED)]

    key = ("CONTRACT-1", "1")
    async with transaction() as store:
        assert await store.take_as_current(decided(2)) == {key}
    for stale in (2, 1):
        async with transaction() as store:
            assert await store.take_as_current(decided(stale)) == set()
    async with transaction() as store:
        assert await store.take_as_current(decided(3)) == {key}
        assert await store.decision_number(*key) == 3
        assert await store.decision_number("CONTRACT-1", "2") is None


async def test_one_open_case_per_line_and_a_reference_linked_once(
    transaction: Transaction,
) -> None:
    await opened(transaction)
    async with transaction() as store:
        case = await store.open_case_of(LINE.manifest_id, LINE.line_id)
        assert await store.open_case(replace(case, case_id="C-2")) is None
        assert await store.link_reference(case.case_id, "B", "fax", "officer", T0)
        assert await store.link_reference(case.case_id, "A", "fax", "officer", T0)
        assert not await store.link_reference(case.case_id, "A", "mail", "officer", T0)
        assert await store.references(case.case_id) == ["A", "B"]
        closed = await store.update_case(case.case_id, {"state": "closed"}, T0)
        assert (await store.case(case.case_id)) == closed
        assert await store.open_case(replace(case, case_id="C-3")) is not None


async def test_the_unanswered_instructions_are_due_in_order(transaction: Transaction) -> None:
    held = await opened(transaction)
    async with transaction() as store:
        [block] = await store.due_instructions(T0 + timedelta(days=1), 10)
        assert block.current_instruction_id == held.current_instruction_id
        assert not block.later and block.sent.attempts == 1
        assert await store.due_instructions(T0, 10) == []
        await store.record_ack(block.sent.instruction_id, "applied", None, T0)
    async with transaction() as store:
        assert await store.due_instructions(T0 + timedelta(days=1), 10) == []
        kept = await store.instruction(block.sent.instruction_id)
        assert kept is not None and (kept.ack_result, kept.acknowledged_at) == ("applied", T0)
