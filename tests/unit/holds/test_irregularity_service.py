"""Irregularities over the store in memory (docs/irregularities.md): recorded by the hold's
authority only, kept, published; the goods may then be refused."""

from __future__ import annotations

import pytest
from holds_fakes import MemoryHoldStore
from test_hold_service import NOW, NVWA, PD, acknowledged, decide, run, the_hold

from pnm.holds import authority, irregularities
from pnm.holds.domain.hold import IllegalTransition
from pnm.shared.contracts.records import DecisionStatus, Irregularity
from pnm.shared.contracts.topics import IRREGULARITIES

FOUND = irregularities.Finding("no health certificate", "goods seized", None, [], [], None)


def test_the_authority_records_an_irregularity_and_may_refuse_the_goods() -> None:
    store = MemoryHoldStore()
    decide(store, 1, DecisionStatus.UNNOTIFIED)  # vet: NVWA's hold
    held = the_hold(store)
    acknowledged(store, held)
    with pytest.raises(authority.NotTheAuthority):
        run(irregularities.record(store, held.hold_id, FOUND, PD, NOW))
    assert not store.irregularities
    with pytest.raises(IllegalTransition):  # the goods are refused only after an irregularity
        run(authority.refuse_goods(store, held.hold_id, "destruction", "refused", NVWA, NOW))
    recorded = run(irregularities.record(store, held.hold_id, FOUND, NVWA, NOW))
    assert the_hold(store).state == "irregularity_recorded"
    assert store.irregularities[recorded.irregularity_id][0] == held.hold_id
    [event] = [e for e in store.events if e.topic == IRREGULARITIES.name]
    assert isinstance(event.record, Irregularity) and event.record.recorded_by == "nvwa-officer"
    refused = run(authority.refuse_goods(store, held.hold_id, "destruction", "x", NVWA, NOW))
    assert (refused.state, refused.outcome, refused.closed_at) == ("refused", "destruction", NOW)
