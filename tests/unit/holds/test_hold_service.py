"""The holds service layer over the store in memory (docs/holds.md): what a decision does to a
line's hold, the terminal's answer, who may lift a hold, a manual block. The same code runs over
PostgreSQL in tests/integration/holds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from holds_fakes import MemoryHoldStore
from infra import decision_record

from pnm.holds import acks, authority, manual
from pnm.holds.audit import Actor
from pnm.holds.decisions import apply_decisions
from pnm.holds.domain.audit_chain import verify
from pnm.holds.store import AlreadyHeld, Hold
from pnm.shared.contracts.records import (
    DecisionStatus,
    Regime,
    TerminalAck,
    TerminalInstruction,
)
from pnm.shared.contracts.topics import terminal_instructions_topic
from pnm.testing.records import container

D = DecisionStatus
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PD = Actor("pd-officer", ("pd-inspector",))
NVWA = Actor("nvwa-officer", ("nvwa-inspector",))
PREARRIVAL = Actor("customs-officer", ("customs-prearrival",))
T = TypeVar("T")


def run(action: Awaitable[T]) -> T:
    async def wait() -> T:
        return await action

    return asyncio.run(wait())


def decide(store: MemoryHoldStore, number: int, status: DecisionStatus, **facts: Any) -> None:
    """Line 1 of manifest SVC-1 decided, its container given (`facts` as
    `infra.decision_record` takes them: the terminal, ECTDELTA unless given, the regime, the
    reasons)."""
    decided = decision_record(
        "SVC-1", "1", number=number, status=status, containers=[container(7)], **facts
    )
    run(apply_decisions(store, [decided], NOW + timedelta(minutes=number)))


def the_hold(store: MemoryHoldStore) -> Hold:
    [held] = [h for h in store.holds.values() if h.state not in ("released", "refused")]
    return held


def acknowledged(store: MemoryHoldStore, held: Hold, result: str = "applied") -> acks.AckOutcome:
    sent = store.instructions[held.current_instruction_id or ""]
    ack = TerminalAck(
        instruction_id=sent.instruction_id, terminal=sent.terminal, result=result, at=NOW
    )
    return run(acks.acknowledge(store, ack, NOW + timedelta(hours=1)))


def test_a_decision_that_needs_a_hold_opens_one_and_instructs_the_terminal() -> None:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED)
    held = the_hold(store)
    assert (held.state, held.block_status, held.authority) == ("instructed", "pending", "NVWA")
    [sent] = store.instructions.values()
    assert (sent.purpose, sent.terminal, sent.sequence) == ("block", "ECTDELTA", 1)
    assert held.current_instruction_id == sent.instruction_id and held.last_sequence == 1
    topic = terminal_instructions_topic("ECTDELTA").name
    [published] = [e for e in store.events if e.topic == topic]
    assert isinstance(published.record, TerminalInstruction)
    assert published.record.containers == [container(7)]
    [case] = store.cases.values()
    assert case.opened_by_hold == held.hold_id
    trail = [e.content for e in store.trail]
    assert [(c.action, c.subject_id) for c in trail] == [
        ("case.opened", case.case_id),
        ("instruction.block", held.hold_id),
        ("hold.instruct_block", held.hold_id),
    ]
    assert (trail[-1].before or {})["state"] == "requested"
    assert (trail[-1].after or {})["state"] == "instructed"
    assert verify(store.trail, store.head) is None


@pytest.mark.parametrize(
    ("terminal", "why"), [(None, "no_terminal"), ("NOSUCHTERMINAL", "unknown_terminal")]
)
def test_a_hold_without_a_terminal_to_instruct_is_unaddressed_in_front_of_people(
    terminal: str | None, why: str
) -> None:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED, terminal=terminal)
    held = the_hold(store)
    assert (held.state, held.escalation, held.block_status) == ("unaddressed", why, "none")
    assert not store.instructions
    decide(store, 2, D.UNNOTIFIED)  # a later decision names a registered terminal
    held = the_hold(store)
    assert (held.state, held.escalation, held.terminal) == ("instructed", None, "ECTDELTA")


def test_a_line_has_one_standing_hold_per_regime() -> None:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED)
    first = the_hold(store)
    decide(store, 2, D.UNNOTIFIED)
    assert list(store.holds) == [first.hold_id]
    with pytest.raises(AlreadyHeld) as refused:
        run(store.open_hold(replace(first, hold_id="another")))
    assert refused.value.hold_id == first.hold_id
    block = manual.ManualBlock("SVC-1", "1", Regime.VET, "ECTDELTA", [], None, "x-ray")
    with pytest.raises(AlreadyHeld):
        run(manual.place_manual_hold(store, block, PREARRIVAL, NOW))
    decide(store, 3, D.UNNOTIFIED, regime=Regime.PHYTO)  # the other regime: a hold of its own
    assert sorted(h.regime for h in store.holds.values()) == ["phyto", "vet"]


def test_the_terminal_applying_the_block_acknowledges_the_hold() -> None:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED)
    outcome = acknowledged(store, the_hold(store))
    assert (outcome.hold_state, outcome.duplicate) == ("acknowledged", False)
    assert (the_hold(store).state, the_hold(store).block_status) == ("acknowledged", "applied")
    assert acknowledged(store, the_hold(store)).duplicate


def test_a_rejected_block_is_escalated() -> None:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED)
    acknowledged(store, the_hold(store), "rejected")
    held = the_hold(store)
    assert (held.state, held.escalation) == ("block_rejected", "block_rejected")


@pytest.mark.parametrize(
    ("regime", "competent", "other"), [(Regime.PHYTO, PD, NVWA), (Regime.VET, NVWA, PD)]
)
def test_only_the_competent_authority_lifts_a_hold(
    regime: Regime, competent: Actor, other: Actor
) -> None:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED, regime=regime)
    held = the_hold(store)
    acknowledged(store, held)
    for refused in (other, PREARRIVAL):
        with pytest.raises(authority.NotTheAuthority):
            run(authority.release(store, held.hold_id, "checked", refused, NOW))
    assert the_hold(store).state == "acknowledged"
    released = run(authority.release(store, held.hold_id, "checked", competent, NOW))
    assert (released.state, released.released_by) == ("release_instructed", competent.subject)
    lift = store.instructions[released.current_instruction_id or ""]
    assert (lift.purpose, lift.sequence) == ("release", 2)


def test_customs_blocks_a_line_by_hand() -> None:
    store = MemoryHoldStore()
    block = manual.ManualBlock(
        "SVC-1", "1", Regime.PHYTO, "ECTDELTA", [container(7)], None, "x-ray"
    )
    held = run(manual.place_manual_hold(store, block, PREARRIVAL, NOW))
    assert (held.state, held.origin, held.placed_by) == ("instructed", "manual", "customs-officer")
    assert (held.reason, held.authority) == ("manual: x-ray", "PD")
    decide(store, 1, D.NOTIFIED, regime=Regime.PHYTO)  # no decision asks to release it
    assert the_hold(store).state == "instructed"


def test_a_later_decision_that_needs_no_hold_asks_the_authority_to_release_it() -> None:
    store = MemoryHoldStore()
    decide(store, 1, D.UNNOTIFIED)
    acknowledged(store, the_hold(store))
    decide(store, 2, D.NOTIFIED)
    held = the_hold(store)
    assert (held.state, held.release_reason) == ("release_requested", "decision 2: notified")
    assert held.decision_number == 2
    decide(store, 1, D.UNNOTIFIED)  # stale: redelivered after its successor
    assert the_hold(store).state == "release_requested"
    decide(store, 3, D.UNNOTIFIED)  # needed again: the request is withdrawn
    assert the_hold(store).state == "acknowledged"
    assert verify(store.trail, store.head) is None
