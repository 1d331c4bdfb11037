"""The matcher's service layer over the store in memory: what it decides again and what it
lets stand."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from replaying import InMemory

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.service_layer.replay import REPLAY
from pnm.matcher.service_layer.service import dry_run
from pnm.shared.contracts.records import EtaUpdate
from pnm.testing.records import BASE_ETA, arrival, container, manifest_line

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


def test_a_new_eta_moves_a_decision_that_does_not_change() -> None:
    """The decisions are listed by port and arrival window (`GET /matcher/decisions`): a new
    ETA is kept with the decision even when the decision itself stands (it used to keep the
    ETA of the last decision that changed)."""

    async def run() -> None:
        matcher = InMemory()
        await matcher.replay.receive(SHIRTS, BASE_ETA - timedelta(days=3))
        later = BASE_ETA + timedelta(days=2)
        await matcher.replay.receive(
            EtaUpdate(manifest_id=SHIRTS.manifest_id, eta=later), BASE_ETA - timedelta(days=2)
        )
        [kept] = (await matcher.store.decisions([KEY])).values()
        assert kept.decision.decision_number == 1 and kept.eta == later

    asyncio.run(run())
