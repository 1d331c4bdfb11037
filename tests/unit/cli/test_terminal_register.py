"""The terminal simulator's pure logic: the container register, de-duplication by instruction
id, the per-hold sequence rule, seeded rejections and delays, and the downtime schedule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pnm.cli.terminal_register import (
    REJECTION_REASONS,
    Behaviour,
    Downtime,
    ReceivedInstruction,
    Register,
    parse_delay,
)


def block(hold: str = "H1", sequence: int = 1, box: str = "MSCU1000015") -> ReceivedInstruction:
    return ReceivedInstruction(f"{hold}-{sequence}", hold, "block", sequence, (box,))


def release(hold: str = "H1", sequence: int = 2, box: str = "MSCU1000015") -> ReceivedInstruction:
    return ReceivedInstruction(f"{hold}-{sequence}", hold, "release", sequence, (box,))


def test_block_then_release_lifts_the_container() -> None:
    register = Register()
    assert register.receive(block()).kind == "applied"
    assert register.is_blocked("MSCU1000015")
    outcome = register.receive(release())
    assert (outcome.kind, outcome.result) == ("applied", "applied")
    assert not register.is_blocked("MSCU1000015")


def test_a_duplicate_gets_the_first_answer_again_and_changes_nothing() -> None:
    register = Register()
    register.receive(block(), reject="container not found in the yard")
    again = register.receive(block())
    assert (again.kind, again.result, again.detail) == (
        "duplicate",
        "rejected",
        "container not found in the yard",
    )
    assert not register.is_blocked("MSCU1000015")


def test_a_release_never_overtaken_by_its_older_block() -> None:
    register = Register()
    register.receive(release(sequence=2))
    late_block = register.receive(block(sequence=1))
    assert (late_block.kind, late_block.result) == ("superseded", "rejected")
    assert late_block.detail is not None and "sequence 2" in late_block.detail
    assert not register.is_blocked("MSCU1000015")


def test_a_second_instruction_with_an_applied_sequence_is_not_applied() -> None:
    register = Register()
    register.receive(block(sequence=1))
    other = ReceivedInstruction("another-id", "H1", "release", 1, ("MSCU1000015",))
    assert register.receive(other).kind == "superseded"
    assert register.is_blocked("MSCU1000015")


def test_a_container_stays_blocked_while_another_hold_blocks_it() -> None:
    register = Register()
    register.receive(block("VET"))
    register.receive(block("PHYTO"))
    register.receive(release("VET"))
    assert register.is_blocked("MSCU1000015")
    register.receive(release("PHYTO"))
    assert not register.is_blocked("MSCU1000015")


def test_a_rejected_instruction_does_not_count_as_applied() -> None:
    register = Register()
    register.receive(block(sequence=1), reject="container already gated out")
    assert register.receive(block(sequence=2)).kind == "applied"  # the block sent again
    assert register.is_blocked("MSCU1000015")


def test_the_register_survives_a_round_trip_through_json() -> None:
    register = Register()
    register.receive(block())
    register.receive(block("H2"), reject="no")
    copy = Register.from_json(register.to_json())
    assert copy == register
    assert copy.receive(block()).kind == "duplicate"


@given(st.lists(st.integers(min_value=1, max_value=6), max_size=30))
def test_applied_sequences_per_hold_only_rise(order: list[int]) -> None:
    """Whatever order and repetition the instructions of one hold arrive in."""
    register = Register()
    applied: list[int] = []
    for sequence in order:
        sent = (block if sequence % 2 else release)(sequence=sequence)
        if register.receive(sent).kind == "applied":
            applied.append(sequence)
    assert applied == sorted(set(applied))
    if applied:
        assert register.is_blocked("MSCU1000015") == (applied[-1] % 2 == 1)


def test_behaviour_is_repeatable_with_its_seed() -> None:
    behaviour = Behaviour(delay=(0.5, 2.0), reject_rate=0.3, seed=42)
    first, second = behaviour.generator(), behaviour.generator()
    draws = [behaviour.draw(first) for _ in range(200)]
    assert draws == [behaviour.draw(second) for _ in range(200)]
    assert all(0.5 <= d <= 2.0 for d, _ in draws)
    reasons = [r for _, r in draws if r is not None]
    assert 30 < len(reasons) < 90 and set(reasons) <= set(REJECTION_REASONS)


def test_no_rejection_at_rate_zero_and_always_at_one() -> None:
    never, always = Behaviour(reject_rate=0.0), Behaviour(reject_rate=1.0)
    rng = never.generator()
    assert all(never.draw(rng)[1] is None for _ in range(100))
    assert all(always.draw(rng)[1] is not None for _ in range(100))


@pytest.mark.parametrize(
    ("elapsed", "up_again_at"),
    [(0.0, None), (6.9, None), (7.0, 10.0), (9.99, 10.0), (10.0, None), (27.5, 30.0)],
)
def test_downtime_repeats_at_the_end_of_each_cycle(
    elapsed: float, up_again_at: float | None
) -> None:
    assert Downtime(every=10, down_for=3).down_until(elapsed) == up_again_at


def test_never_down_without_a_schedule() -> None:
    assert Downtime().down_until(12345.0) is None


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Downtime(every=5, down_for=5),
        lambda: Downtime(every=-1),
        lambda: Behaviour(reject_rate=1.5),
        lambda: Behaviour(delay=(3.0, 1.0)),
        lambda: parse_delay("soon"),
    ],
)
def test_settings_out_of_range_are_refused(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        bad()


def test_parse_delay() -> None:
    assert parse_delay("2") == (2.0, 2.0)
    assert parse_delay("0.5-3") == (0.5, 3.0)


def test_instruction_from_the_published_payload() -> None:
    payload = {
        "instruction_id": "i-1",
        "hold_id": "h-1",
        "action": "release",
        "sequence": 3,
        "containers": ["MSCU1000015"],
        "terminal": "ECTDELTA",
    }
    assert ReceivedInstruction.of(payload) == ReceivedInstruction(
        "i-1", "h-1", "release", 3, ("MSCU1000015",)
    )
