"""The matcher's service layer over the store in memory: what it decides again and what it
lets stand."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from replaying import InMemory

from pnm.cli.scenarios import BASE_ETA, arrival, container, manifest_line
from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.service_layer.replay import REPLAY
from pnm.matcher.service_layer.service import dry_run

SHIRTS = manifest_line(
    "SVC-1", "1", hs_code="610910", description="shirts", containers=[container(5)]
)
KEY = (SHIRTS.manifest_id, SHIRTS.line_id)


def test_a_line_nobody_notifies_is_dry_run_under_the_set_that_decided_it() -> None:
    async def run() -> None:
        matcher = InMemory()
        await matcher.replay.receive(SHIRTS, BASE_ETA - timedelta(days=2))
        await matcher.replay.receive(arrival(SHIRTS.manifest_id), BASE_ETA)
        kept = (await matcher.decisions())[KEY]
        assert kept.status.value == "not_controlled" and kept.decision_number == 1
        decided = await dry_run(matcher.store, KEY, BASE_ETA, shipped_indicator_set(), REPLAY)
        assert decided is not None
        assert decided.evaluation.decision.status.value == "not_controlled"

    asyncio.run(run())
