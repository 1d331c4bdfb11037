"""Holds keep opening under load (the holds service in-process on a real PostgreSQL)."""

from __future__ import annotations

from test_hold_lifecycle import Holds, holds  # noqa: F401 (the holds service fixture)

from pnm.shared.contracts.records import DecisionStatus


async def test_holds_keep_opening_past_the_prepared_statement_plan_switch(
    holds: Holds,  # noqa: F811 (the imported fixture)
) -> None:
    """Found by the holds bench: after five executions of the same prepared statement
    PostgreSQL may switch to a generic plan, where a bound partial-index predicate no longer
    proves the unique index for ON CONFLICT; every later hold failed to open."""
    lines = [str(n) for n in range(1, 41)]
    for line in lines:
        await holds.decide(1, DecisionStatus.UNNOTIFIED, line=line)
    opened = [line for line in lines if await holds.holds(line)]
    assert opened == lines
