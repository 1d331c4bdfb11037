"""The re-send round over the store in memory (docs/terminal-protocol.md): an unanswered
instruction goes out again when its time comes, and in front of people past the escalation
time; an answered or superseded one does not."""

from __future__ import annotations

from datetime import datetime, timedelta

from holds_fakes import MemoryHoldStore
from test_hold_service import NOW, NVWA, acknowledged, decide, run, the_hold

from pnm.holds import authority
from pnm.holds.resend import resend_due
from pnm.holds.settings import protocol_settings
from pnm.shared.contracts.records import DecisionStatus, TerminalInstruction
from pnm.shared.contracts.topics import HOLD_STATES, EventType, terminal_instructions_topic

POLICY = protocol_settings().resend_policy()
BLOCKS = terminal_instructions_topic("ECTDELTA").name


def blocked() -> tuple[MemoryHoldStore, datetime]:
    """A store with one hold whose block went out, and when it went."""
    store = MemoryHoldStore()
    decide(store, 1, DecisionStatus.UNNOTIFIED)
    [sent] = store.instructions.values()
    return store, sent.issued_at


def sends(store: MemoryHoldStore) -> list[str]:
    return [
        e.record.instruction_id
        for e in store.events
        if e.topic == BLOCKS and isinstance(e.record, TerminalInstruction)
    ]


def test_an_unanswered_block_is_sent_again_when_its_time_comes() -> None:
    store, issued = blocked()
    assert run(resend_due(store, issued + POLICY.first - timedelta(seconds=1), POLICY)) == 0
    assert run(resend_due(store, issued + POLICY.first, POLICY)) == 1
    [sent] = store.instructions.values()
    assert sends(store) == [sent.instruction_id, sent.instruction_id]
    assert sent.attempts == 2 and sent.next_attempt_at == issued + POLICY.first * 3
    assert the_hold(store).escalation is None


def test_a_block_unanswered_past_the_escalation_time_goes_before_people() -> None:
    store, issued = blocked()
    late = issued + POLICY.escalate_after
    run(resend_due(store, late, POLICY))
    [sent] = store.instructions.values()
    assert sent.escalated_at == late
    held = the_hold(store)
    assert (held.escalation, held.escalated_at, held.state) == (
        "block_unanswered",
        late,
        "instructed",
    )
    escalated = [e for e in store.events if e.event_type == EventType.HOLD_ESCALATED]
    assert [e.topic for e in escalated] == [HOLD_STATES.name]
    run(resend_due(store, late + POLICY.longest, POLICY))  # escalated once, sent on
    assert len([e for e in store.events if e.event_type == EventType.HOLD_ESCALATED]) == 1
    assert len(sends(store)) == 3
    assert store.instructions[sent.instruction_id].escalated_at == late


def test_an_answered_block_is_not_sent_again() -> None:
    store, issued = blocked()
    acknowledged(store, the_hold(store))
    assert run(resend_due(store, issued + POLICY.escalate_after, POLICY)) == 0
    assert len(sends(store)) == 1


def test_a_block_the_release_superseded_is_retired_unsent() -> None:
    store, issued = blocked()
    run(authority.release(store, the_hold(store).hold_id, "checked", NVWA, NOW))
    block = next(i for i in store.instructions.values() if i.purpose == "block")
    run(resend_due(store, issued + POLICY.first, POLICY))
    retired = store.instructions[block.instruction_id]
    assert (retired.next_attempt_at, retired.attempts) == (None, 1)
    assert sends(store).count(block.instruction_id) == 1
