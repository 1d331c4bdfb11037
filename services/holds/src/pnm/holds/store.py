"""What the holds service layer asks of its storage, in the domain's words: holds, the
instructions sent for them, the cases opened with them, the irregularities recorded on them,
the line's current decision, the audit trail and the events staged with the change. A store
keeps state and answers; it never decides (the rules are in `pnm.holds.domain`).

One store per transaction: what it writes commits or rolls back together, events included.
`adapters.postgres_store` keeps all this in PostgreSQL (every statement of the service layer
is there); the unit tests run the service layer over a store in memory.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from pnm.holds.audit import Action
from pnm.holds.domain.resend import Plan
from pnm.shared.contracts.records import Decision, LineKey, Record
from pnm.shared.contracts.topics import Topic


class AlreadyHeld(ValueError):
    def __init__(self, hold_id: str) -> None:
        super().__init__(f"the line already has a standing hold for this regime: {hold_id}")
        self.hold_id = hold_id


class UnknownHold(LookupError):
    pass


class UnknownCase(LookupError):
    pass


class ConcurrentChange(RuntimeError):
    """The hold changed between reading and writing it: the caller's transaction is retried."""


def snapshot(kept: Any) -> dict[str, Any]:
    """A hold or a case as the audit trail keeps it, before and after an action: every field,
    times as ISO 8601 text."""
    return {
        f.name: v.isoformat() if isinstance(v, datetime) else v
        for f in fields(kept)
        for v in (getattr(kept, f.name),)
    }


@dataclass(frozen=True)
class Hold:
    """A hold as kept: the columns of `adapters.tables.hold`, one field each. `state`,
    `block_status` and `origin` hold the values of `HoldState`, `BlockStatus` and `Origin`."""

    hold_id: str
    manifest_id: str
    line_id: str
    regime: str
    authority: str
    state: str
    block_status: str
    origin: str
    terminal: str
    containers: tuple[str, ...]
    transport_document: str | None
    destination: str | None
    reason: str
    decision_number: int
    current_instruction_id: str | None
    last_sequence: int
    placed_by: str | None
    release_reason: str | None
    release_requested_at: datetime | None
    released_by: str | None
    released_at: datetime | None
    outcome: str | None
    escalation: str | None
    escalated_at: datetime | None
    opened_at: datetime
    updated_at: datetime
    goods: list[dict[str, Any]] | None  # the opening decision's goods summary
    closed_at: datetime | None


@dataclass(frozen=True)
class Instruction:
    """An instruction sent to a terminal for a hold, and the terminal's answer."""

    instruction_id: str
    hold_id: str
    action: str  # block, release
    purpose: str  # InstructionPurpose
    terminal: str
    sequence: int
    delivery: str  # kafka, shadow
    payload: dict[str, Any]  # the TerminalInstruction as sent
    issued_at: datetime
    next_attempt_at: datetime | None
    attempts: int = 1
    escalated_at: datetime | None = None
    ack_result: str | None = None
    ack_detail: str | None = None
    acknowledged_at: datetime | None = None


@dataclass(frozen=True)
class DueResend:
    """An unanswered instruction whose next send is due (docs/terminal-protocol.md)."""

    sent: Instruction
    current_instruction_id: str | None  # the hold's: the instruction whose answer moves it
    later: bool  # a later instruction of the hold went to the same terminal


@dataclass(frozen=True)
class Case:
    """A pre-arrival case as kept: the columns of `adapters.tables.case`, one field each."""

    case_id: str
    manifest_id: str
    line_id: str
    state: str  # CaseState
    indicators: tuple[str, ...]
    outcome: str | None
    close_note: str | None
    opened_by_hold: str
    opened_at: datetime
    updated_at: datetime
    closed_by: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Contact:
    """A contact of customs pre-arrival with the party of a held line (docs/cases.md)."""

    party_name: str
    party_eori: str | None
    contacted_at: datetime
    channel: str
    question: str
    answer: str


class HoldStore(Protocol):
    # Holds ---------------------------------------------------------------------------------
    async def open_hold(self, new: Hold) -> Hold:
        """Keep `new` unless a hold stands for its line and regime (AlreadyHeld, naming it):
        at most one standing hold per line and regime, whoever opens it."""
        ...

    async def hold(self, hold_id: str) -> Hold:
        """The hold, locked for the transaction (UnknownHold when there is none)."""
        ...

    async def standing(self, manifest_id: str, line_id: str, regime: str) -> Hold | None:
        """The line's standing (not released, not refused) hold for `regime`, locked."""
        ...

    async def standing_of_line(self, manifest_id: str, line_id: str) -> list[Hold]:
        """The line's standing holds, by regime, locked."""
        ...

    async def standing_regimes(self, manifest_id: str, line_id: str) -> list[str]: ...
    async def lines_with_standing_holds(self, lines: Collection[LineKey]) -> set[LineKey]: ...
    async def update_hold(self, hold: Hold, values: Mapping[str, Any], now: datetime) -> Hold:
        """Write `values` if the hold is still as read (its state and update time), stamped
        `now`; ConcurrentChange when it is not."""
        ...

    async def note_decision(self, hold_id: str, decision_number: int) -> None:
        """The number of the latest decision the hold answers for (no audit, no event)."""
        ...

    # The line's current decision -------------------------------------------------------------
    async def take_as_current(self, decisions: Sequence[Decision]) -> set[LineKey]:
        """Keep each decision as its line's current one unless one with a higher or equal
        number was kept; the lines whose decision was taken. Locks those lines."""
        ...

    async def decision_number(self, manifest_id: str, line_id: str) -> int | None: ...

    # Instructions ------------------------------------------------------------------------
    async def add_instruction(self, sent: Instruction) -> None: ...
    async def instruction(self, instruction_id: str) -> Instruction | None:
        """The instruction, locked for the transaction."""
        ...

    async def record_ack(
        self, instruction_id: str, result: str, detail: str | None, at: datetime
    ) -> None: ...

    async def due_instructions(self, now: datetime, most: int) -> list[DueResend]:
        """Unanswered instructions to live terminals whose next send is due by `now`, the
        earliest first, at most `most`; locked, skipping those another transaction holds."""
        ...

    async def record_plan(self, decided: Plan, now: datetime) -> None:
        """What a re-send round did with an instruction (its sends, its next send, and
        `now` as when it was escalated when it was)."""
        ...

    # Cases -------------------------------------------------------------------------------
    async def open_case(self, new: Case) -> Case | None:
        """Keep `new` unless a case is open for its line (None then): one open case per line."""
        ...

    async def open_case_of(self, manifest_id: str, line_id: str) -> Case:
        """The line's open case, locked."""
        ...

    async def case(self, case_id: str) -> Case:
        """The case, locked (UnknownCase when there is none)."""
        ...

    async def update_case(self, case_id: str, values: Mapping[str, Any], now: datetime) -> Case:
        """Write `values` to the case, stamped `now`."""
        ...

    async def add_contact(
        self, case_id: str, contact_id: str, contact: Contact, officer: str, at: datetime
    ) -> None: ...
    async def link_reference(
        self, case_id: str, reference: str, received_by: str, linked_by: str, at: datetime
    ) -> bool:
        """Link a written pre-notification to the case; False when it was linked already."""
        ...

    async def references(self, case_id: str) -> list[str]:
        """The case's linked references, in the order they were linked."""
        ...

    # Irregularities, the audit trail, events -------------------------------------------------
    async def add_irregularity(
        self, irregularity_id: str, hold_id: str, at: datetime, record: dict[str, Any]
    ) -> None: ...
    async def audit(self, action: Action) -> None:
        """Add the entry to the audit trail's hash chain (docs/audit.md), with the change."""
        ...

    def publish(
        self, topic: Topic, key: str, event_type: str, record: Record, subject: str | None = None
    ) -> None:
        """Stage an event of the holds service, sent once the change is kept (the outbox)."""
        ...
