"""The holds store in memory (`pnm.holds.store.HoldStore`), for unit tests of the holds service
layer. It keeps what `adapters.postgres_store` keeps and refuses what its tables refuse: one
standing hold per line and regime, one open case per line, a reference linked once to a case,
a compare-and-set on a hold's state and update time, a newer decision number only. The audit
entries are hash-chained as the database chains them at commit (docs/audit.md), and the staged
events are kept in order. No transactions and no locks: a test runs one action at a time."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, TypeVar

from pnm.holds.adapters.case_rows import OPENED_CASE
from pnm.holds.adapters.postgres_store import ISSUED, OPENED_HOLD
from pnm.holds.audit import Action
from pnm.holds.domain.audit_chain import GENESIS, Entry, Head, append
from pnm.holds.domain.hold import OPEN_STATES
from pnm.holds.domain.resend import Plan
from pnm.holds.store import (
    AlreadyHeld,
    Case,
    ConcurrentChange,
    Contact,
    DueResend,
    Hold,
    Instruction,
    UnknownCase,
    UnknownHold,
)
from pnm.shared.contracts.records import Decision, LineKey, Record
from pnm.shared.contracts.topics import Topic
from pnm.shared.versions import newer_wins

STANDING = frozenset(s.value for s in OPEN_STATES)
T = TypeVar("T", Hold, Instruction, Case)


class DuplicateKey(Exception):
    """What PostgreSQL's primary key refuses (an IntegrityError there)."""


@dataclass(frozen=True)
class Staged:
    topic: str
    key: str
    event_type: str
    record: Record
    subject: str | None


@dataclass
class LinkedReference:
    reference: str
    received_by: str
    linked_by: str
    linked_at: datetime


@dataclass
class MemoryHoldStore:
    holds: dict[str, Hold] = field(default_factory=dict)
    instructions: dict[str, Instruction] = field(default_factory=dict)
    current_decisions: dict[LineKey, int] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    contacts: dict[str, tuple[str, Contact, str, datetime]] = field(default_factory=dict)
    linked: dict[str, list[LinkedReference]] = field(default_factory=dict)
    irregularities: dict[str, tuple[str, datetime, dict[str, Any]]] = field(default_factory=dict)
    trail: list[Entry] = field(default_factory=list)
    events: list[Staged] = field(default_factory=list)

    # Holds ---------------------------------------------------------------------------------

    async def open_hold(self, new: Hold) -> Hold:
        existing = await self.standing(new.manifest_id, new.line_id, new.regime)
        if existing is not None:
            raise AlreadyHeld(existing.hold_id)
        kept = _as_written(new, OPENED_HOLD, {"block_status": "none", "last_sequence": 0})
        _insert(self.holds, new.hold_id, kept)
        return kept

    async def hold(self, hold_id: str) -> Hold:
        if hold_id not in self.holds:
            raise UnknownHold(f"no hold {hold_id!r}")
        return self.holds[hold_id]

    async def standing(self, manifest_id: str, line_id: str, regime: str) -> Hold | None:
        found = [h for h in await self.standing_of_line(manifest_id, line_id) if h.regime == regime]
        return found[0] if found else None

    async def standing_of_line(self, manifest_id: str, line_id: str) -> list[Hold]:
        return sorted(
            (
                h
                for h in self.holds.values()
                if (h.manifest_id, h.line_id) == (manifest_id, line_id) and h.state in STANDING
            ),
            key=lambda h: h.regime,
        )

    async def standing_regimes(self, manifest_id: str, line_id: str) -> list[str]:
        return [h.regime for h in await self.standing_of_line(manifest_id, line_id)]

    async def lines_with_standing_holds(self, lines: Collection[LineKey]) -> set[LineKey]:
        return {
            (h.manifest_id, h.line_id)
            for h in self.holds.values()
            if h.state in STANDING and (h.manifest_id, h.line_id) in lines
        }

    async def update_hold(self, kept: Hold, values: Mapping[str, Any], now: datetime) -> Hold:
        stored = self.holds.get(kept.hold_id)
        if stored is None or (stored.state, stored.updated_at) != (kept.state, kept.updated_at):
            raise ConcurrentChange(f"hold {kept.hold_id} changed concurrently")
        new = replace(stored, **{**_as_kept(values), "updated_at": now})
        self.holds[kept.hold_id] = new
        return new

    async def note_decision(self, hold_id: str, decision_number: int) -> None:
        if hold_id in self.holds:
            self.holds[hold_id] = replace(self.holds[hold_id], decision_number=decision_number)

    # The line's current decision -------------------------------------------------------------

    async def take_as_current(self, decisions: Sequence[Decision]) -> set[LineKey]:
        taken = set()
        for d in decisions:
            key = (d.manifest_id, d.line_id)
            kept = self.current_decisions.get(key)
            if kept is None or newer_wins(kept, d.decision_number):
                self.current_decisions[key] = d.decision_number
                taken.add(key)
        return taken

    async def decision_number(self, manifest_id: str, line_id: str) -> int | None:
        return self.current_decisions.get((manifest_id, line_id))

    # Instructions ------------------------------------------------------------------------

    async def add_instruction(self, sent: Instruction) -> None:
        if sent.hold_id not in self.holds:  # the foreign key
            raise UnknownHold(f"no hold {sent.hold_id!r}")
        _insert(self.instructions, sent.instruction_id, _as_written(sent, ISSUED, {"attempts": 1}))

    async def instruction(self, instruction_id: str) -> Instruction | None:
        return self.instructions.get(instruction_id)

    async def record_ack(
        self, instruction_id: str, result: str, detail: str | None, at: datetime
    ) -> None:
        answered = self.instructions.get(instruction_id)  # the SQL updates no row when none
        if answered is not None:
            ack: dict[str, Any] = {
                "ack_result": result,
                "ack_detail": detail,
                "acknowledged_at": at,
            }
            self.instructions[instruction_id] = replace(answered, **ack)

    async def due_instructions(self, now: datetime, most: int) -> list[DueResend]:
        due = sorted(
            (
                i
                for i in self.instructions.values()
                if i.ack_result is None
                and i.delivery == "kafka"
                and i.next_attempt_at is not None
                and i.next_attempt_at <= now
            ),
            key=lambda i: i.next_attempt_at or now,
        )[:most]
        return [
            DueResend(i, self.holds[i.hold_id].current_instruction_id, self._later(i)) for i in due
        ]

    def _later(self, sent: Instruction) -> bool:
        return any(
            (i.hold_id, i.terminal) == (sent.hold_id, sent.terminal) and i.sequence > sent.sequence
            for i in self.instructions.values()
        )

    async def record_plan(self, decided: Plan, now: datetime) -> None:
        kept = self.instructions[decided.instruction_id]
        self.instructions[decided.instruction_id] = replace(
            kept,
            attempts=decided.sends,
            next_attempt_at=decided.next_attempt_at,
            escalated_at=now if decided.escalate else kept.escalated_at,
        )

    # Cases -------------------------------------------------------------------------------

    async def open_case(self, new: Case) -> Case | None:
        if any(
            (c.manifest_id, c.line_id) == (new.manifest_id, new.line_id) and c.state != "closed"
            for c in self.cases.values()
        ):
            return None
        kept = _as_written(new, OPENED_CASE, {})
        _insert(self.cases, new.case_id, kept)
        return kept

    async def open_case_of(self, manifest_id: str, line_id: str) -> Case:
        [found] = [
            c
            for c in self.cases.values()
            if (c.manifest_id, c.line_id) == (manifest_id, line_id) and c.state != "closed"
        ]
        return found

    async def case(self, case_id: str) -> Case:
        if case_id not in self.cases:
            raise UnknownCase(f"no case {case_id!r}")
        return self.cases[case_id]

    async def update_case(self, case_id: str, values: Mapping[str, Any], now: datetime) -> Case:
        new = replace(self.cases[case_id], **{**_as_kept(values), "updated_at": now})
        self.cases[case_id] = new
        return new

    async def add_contact(
        self, case_id: str, contact_id: str, contact: Contact, officer: str, at: datetime
    ) -> None:
        await self.case(case_id)  # the foreign key
        _insert(self.contacts, contact_id, (case_id, contact, officer, at))

    async def link_reference(
        self, case_id: str, reference: str, received_by: str, linked_by: str, at: datetime
    ) -> bool:
        await self.case(case_id)  # the foreign key
        kept = self.linked.setdefault(case_id, [])
        if any(r.reference == reference for r in kept):
            return False
        kept.append(LinkedReference(reference, received_by, linked_by, at))
        return True

    async def references(self, case_id: str) -> list[str]:
        kept = sorted(self.linked.get(case_id, []), key=lambda r: (r.linked_at, r.reference))
        return [r.reference for r in kept]

    # Irregularities, the audit trail, events -------------------------------------------------

    async def add_irregularity(
        self, irregularity_id: str, hold_id: str, at: datetime, record: dict[str, Any]
    ) -> None:
        await self.hold(hold_id)  # the foreign key
        _insert(self.irregularities, irregularity_id, (hold_id, at, record))

    async def audit(self, action: Action) -> None:
        self.trail.append(append(self.head, action.content()))

    def publish(
        self, topic: Topic, key: str, event_type: str, record: Record, subject: str | None = None
    ) -> None:
        self.events.append(Staged(topic.name, key, event_type, record, subject))

    # What the tests read -----------------------------------------------------------------

    @property
    def head(self) -> Head:
        last = self.trail[-1] if self.trail else None
        return GENESIS if last is None else Head(last.sequence, last.hash)


def _insert(table: dict[Any, Any], key: object, row: object) -> None:
    if key in table:
        raise DuplicateKey(f"{key!r} is kept already")
    table[key] = row


def _as_written(new: T, written: Collection[str], defaults: Mapping[str, Any]) -> T:
    """`new` as the SQL inserts it: the fields it writes, the column defaults for the rest."""
    rest: dict[str, Any] = {
        f.name: defaults.get(f.name) for f in fields(new) if f.name not in written
    }
    return replace(new, **rest)


def _as_kept(values: Mapping[str, Any]) -> dict[str, Any]:
    """Arrays read back as tuples, as `adapters.postgres_store` reads them."""
    return {k: tuple(v) if isinstance(v, list) and k != "goods" else v for k, v in values.items()}
