"""When an unanswered instruction is sent again, and when it goes in front of people. Pure.

A terminal's system may be down, slow or lose a message; it de-duplicates by instruction id,
so sending the same instruction again is always safe. The wait between sends doubles from
`first` up to `longest`; past `escalate_after` since it was first issued the instruction is
escalated once, and is still sent at the longest interval until it is answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pnm.holds.domain.hold import InstructionPurpose


@dataclass(frozen=True)
class ResendPolicy:
    first: timedelta
    longest: timedelta
    escalate_after: timedelta

    def wait_after(self, sends: int) -> timedelta:
        """The wait after the `sends`-th send of an instruction (1: the original)."""
        doublings: int = min(max(sends - 1, 0), 32)
        wait: timedelta = self.first * (1 << doublings)
        return min(wait, self.longest)


@dataclass(frozen=True)
class Unanswered:
    """An instruction published and not answered, as the loop finds it."""

    instruction_id: str
    purpose: InstructionPurpose
    issued_at: datetime
    sends: int
    next_attempt_at: datetime
    escalated: bool
    # A later instruction took its place: the hold's current one is another block or
    # release, or a stand-down's terminal was given a later instruction for the hold.
    superseded: bool


@dataclass(frozen=True)
class Plan:
    instruction_id: str
    resend: bool
    escalate: bool  # newly past the escalation time
    sends: int  # after this round
    next_attempt_at: datetime | None  # None: never again (superseded)


def plan(policy: ResendPolicy, now: datetime, sent: Unanswered) -> Plan | None:
    """What this round does with `sent`; None when nothing is due yet. Until it is escalated,
    no send is scheduled past the escalation time, so "due" is the only question (one
    indexed condition) and the escalation comes with a send."""
    if sent.superseded:
        return Plan(sent.instruction_id, False, False, sent.sends, None)
    if sent.next_attempt_at > now:
        return None
    sends = sent.sends + 1
    escalate = not sent.escalated and now - sent.issued_at >= policy.escalate_after
    upcoming = now + policy.wait_after(sends)
    if not sent.escalated and not escalate:
        upcoming = min(upcoming, sent.issued_at + policy.escalate_after)
    return Plan(sent.instruction_id, True, escalate, sends, upcoming)


def first_attempt_after(policy: ResendPolicy, issued_at: datetime) -> datetime:
    return issued_at + min(policy.wait_after(1), policy.escalate_after)


UNANSWERED = {
    InstructionPurpose.BLOCK: "block_unanswered",
    InstructionPurpose.RELEASE: "release_unanswered",
    InstructionPurpose.STAND_DOWN: "stand_down_unanswered",
}
