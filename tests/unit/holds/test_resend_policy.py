"""When an unanswered instruction is sent again and when it is escalated: the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pnm.holds.adapters.terminals import check_shadow_terminals
from pnm.holds.domain.hold import InstructionPurpose
from pnm.holds.domain.resend import (
    Plan,
    ResendPolicy,
    Unanswered,
    first_attempt_after,
    plan,
)
from pnm.holds.settings import TerminalProtocolSettings

POLICY = ResendPolicy(
    first=timedelta(seconds=60),
    longest=timedelta(seconds=600),
    escalate_after=timedelta(seconds=900),
)
T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def unanswered(
    sends: int = 1,
    next_attempt_at: datetime | None = None,
    escalated: bool = False,
    superseded: bool = False,
) -> Unanswered:
    return Unanswered(
        instruction_id="i-1",
        purpose=InstructionPurpose.BLOCK,
        issued_at=T0,
        sends=sends,
        next_attempt_at=next_attempt_at or first_attempt_after(POLICY, T0),
        escalated=escalated,
        superseded=superseded,
    )


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def test_the_wait_doubles_from_the_first_up_to_the_longest() -> None:
    waits = [POLICY.wait_after(n).total_seconds() for n in range(1, 8)]
    assert waits == [60, 120, 240, 480, 600, 600, 600]
    assert POLICY.wait_after(10_000) == POLICY.longest  # no overflow after days of downtime


def test_nothing_is_done_before_the_next_attempt_is_due() -> None:
    assert plan(POLICY, T0 + s(59), unanswered()) is None


def test_a_due_instruction_is_sent_again_and_the_next_wait_is_longer() -> None:
    assert plan(POLICY, T0 + s(61), unanswered()) == Plan("i-1", True, False, 2, T0 + s(181))


def test_past_the_escalation_time_it_is_escalated_once_and_still_sent_at_the_longest_wait() -> None:
    due = T0 + s(950)
    escalating = plan(POLICY, due, unanswered(sends=5, next_attempt_at=due))
    assert escalating == Plan("i-1", True, True, 6, due + s(600))
    later = plan(
        POLICY, due + s(600), unanswered(sends=6, next_attempt_at=due + s(600), escalated=True)
    )
    assert later == Plan("i-1", True, False, 7, due + s(1200))


def test_no_send_is_scheduled_past_the_escalation_time_until_escalated() -> None:
    at = T0 + s(800)
    assert plan(POLICY, at, unanswered(sends=4, next_attempt_at=at)) == Plan(
        "i-1", True, False, 5, T0 + POLICY.escalate_after
    )
    quick = ResendPolicy(first=s(2000), longest=s(4000), escalate_after=s(900))
    assert first_attempt_after(quick, T0) == T0 + s(900)


def test_a_superseded_instruction_is_never_sent_again() -> None:
    assert plan(POLICY, T0 + s(5000), unanswered(superseded=True)) == Plan(
        "i-1", False, False, 1, None
    )


@given(st.integers(min_value=0, max_value=100_000), st.integers(min_value=1, max_value=40))
def test_a_plan_never_schedules_into_the_past_and_never_escalates_twice(
    elapsed: int, sends: int
) -> None:
    now = T0 + s(elapsed)
    for escalated in (False, True):
        sent = unanswered(
            sends=sends, next_attempt_at=T0 + POLICY.wait_after(1), escalated=escalated
        )
        decided = plan(POLICY, now, sent)
        if decided is None:
            continue
        assert decided.next_attempt_at is not None and decided.next_attempt_at > T0
        if decided.resend:
            assert decided.next_attempt_at > now
        assert not (escalated and decided.escalate)


def test_settings_refuse_a_longest_wait_below_the_first_and_an_unregistered_shadow_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PNM_HOLDS_RESEND_FIRST_SECONDS", "120")
    monkeypatch.setenv("PNM_HOLDS_RESEND_MAX_SECONDS", "60")
    with pytest.raises(ValueError, match="PNM_HOLDS_RESEND_MAX_SECONDS"):
        TerminalProtocolSettings()
    monkeypatch.setenv("PNM_HOLDS_SHADOW_TERMINALS", " RWG, ECTDELTA ,")
    monkeypatch.setenv("PNM_HOLDS_RESEND_MAX_SECONDS", "600")
    assert TerminalProtocolSettings().shadow_codes() == {"RWG", "ECTDELTA"}
    check_shadow_terminals(TerminalProtocolSettings())
    monkeypatch.setenv("PNM_HOLDS_SHADOW_TERMINALS", "RWG,ECTDETLA")  # a typo
    with pytest.raises(ValueError, match="not registered: ECTDETLA"):
        check_shadow_terminals(TerminalProtocolSettings())
