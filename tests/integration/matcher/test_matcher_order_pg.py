"""The matcher's decision properties (tests/matcher_properties.py) through the same service
layer over the PostgreSQL store: one transaction per example, rolled back, with a store per
unit of work as the service opens one per consumed batch. Fewer examples than in memory: each
costs a few hundred statements."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from matcher_properties import (
    EXPECTED,
    INPUTS,
    NEVER_WITHDRAWN,
    Input,
    final_outcome,
    never_unnotified_once_notified,
)
from replaying import OverPostgres, over_postgres

from pnm.cli.services import ALL
from pnm.shared.db import make_engine
from pnm.shared.migrations import upgrade


def _migrated(
    database_url: str,
) -> Callable[[Callable[[OverPostgres], Awaitable[object]], int], object]:
    asyncio.run(_upgrade(database_url))

    def run(example: Callable[[OverPostgres], Awaitable[object]], batch_size: int = 1) -> object:
        async def go() -> object:
            engine = make_engine(database_url, pool_size=1)
            try:
                async with engine.connect() as conn, over_postgres(conn, batch_size) as matcher:
                    return await example(matcher)
            finally:
                await engine.dispose()

        return asyncio.run(go())

    return run


async def _upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    await upgrade(engine, ALL["matcher"])
    await engine.dispose()


def test_decision_properties_over_postgres(database_url: str) -> None:
    run = _migrated(database_url)
    assert run(lambda m: final_outcome(m, INPUTS), 1) == EXPECTED

    @settings(max_examples=8, deadline=None)
    @given(st.permutations(INPUTS), st.sampled_from([1, 3, len(INPUTS)]))
    def order_and_batches(order: list[Input], batch_size: int) -> None:
        assert run(lambda m: final_outcome(m, order), batch_size) == EXPECTED

    @settings(max_examples=3, deadline=None)
    @given(st.permutations(INPUTS))
    def twice(order: list[Input]) -> None:
        assert run(lambda m: final_outcome(m, order + order), 1) == EXPECTED

    @settings(max_examples=6, deadline=None)
    @given(
        st.permutations(NEVER_WITHDRAWN),
        st.lists(st.integers(min_value=0, max_value=len(NEVER_WITHDRAWN)), max_size=3),
        st.lists(st.integers(min_value=1, max_value=72), min_size=3, max_size=3),
    )
    def never_unnotified(order: list[Input], repeats: list[int], hours: list[int]) -> None:
        run(lambda m: never_unnotified_once_notified(m, order, repeats, hours), 1)

    order_and_batches()
    twice()
    never_unnotified()
