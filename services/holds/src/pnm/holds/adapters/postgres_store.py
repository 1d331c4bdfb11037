"""The holds store over PostgreSQL (`pnm.holds.store.HoldStore`): every statement the service
layer runs, in the unit of work's transaction; events go to its outbox with it. One per unit
of work. The cases' statements are in `case_rows`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from pnm.holds import audit
from pnm.holds.adapters.case_rows import CaseRows, of_line, values_of
from pnm.holds.adapters.tables import (
    STANDING_HOLD,
    hold,
    instruction,
    irregularity,
    line_decision,
)
from pnm.holds.domain.hold import OPEN_STATES
from pnm.holds.domain.resend import Plan
from pnm.holds.store import AlreadyHeld, ConcurrentChange, DueResend, Hold, Instruction, UnknownHold
from pnm.shared.contracts.records import Decision, LineKey, Record
from pnm.shared.contracts.topics import Topic
from pnm.shared.db import UnitOfWork, upsert_newer
from pnm.shared.messaging.source import EventSource

SOURCE = EventSource("/pnm/holds")
STANDING = [s.value for s in OPEN_STATES]
# What opening a hold and issuing an instruction write; the database's defaults give the rest
# (no block sent, sequence 0; one send, no answer).
OPENED_HOLD = (
    "hold_id",
    "manifest_id",
    "line_id",
    "regime",
    "authority",
    "state",
    "origin",
    "placed_by",
    "terminal",
    "containers",
    "transport_document",
    "reason",
    "decision_number",
    "goods",
    "opened_at",
    "updated_at",
)
ISSUED = (
    "instruction_id",
    "hold_id",
    "action",
    "purpose",
    "terminal",
    "sequence",
    "delivery",
    "payload",
    "issued_at",
    "next_attempt_at",
)


def hold_of(row: Row[Any]) -> Hold:
    kept = row._mapping
    return Hold(**{**kept, "containers": tuple(kept["containers"])})


def instruction_of(row: Row[Any]) -> Instruction:
    return Instruction(**row._mapping)


class PostgresHoldStore(CaseRows):
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    # Holds ---------------------------------------------------------------------------------

    async def open_hold(self, new: Hold) -> Hold:
        created = await self._uow.conn.execute(
            pg_insert(hold)
            .values(values_of(new, OPENED_HOLD))
            .on_conflict_do_nothing(
                index_elements=[hold.c.manifest_id, hold.c.line_id, hold.c.regime],
                index_where=STANDING_HOLD,
            )
            .returning(hold)
        )
        row = created.first()
        if row is None:  # another instance opened it a moment ago
            existing = await self.standing(new.manifest_id, new.line_id, new.regime)
            assert existing is not None
            raise AlreadyHeld(existing.hold_id)
        return hold_of(row)

    async def hold(self, hold_id: str) -> Hold:
        row = await self.locked(hold.c.hold_id, hold_id, UnknownHold(f"no hold {hold_id!r}"))
        return hold_of(row)

    async def standing(self, manifest_id: str, line_id: str, regime: str) -> Hold | None:
        row = (
            await self._uow.conn.execute(
                select(hold)
                .where(
                    *of_line(hold, manifest_id, line_id),
                    hold.c.regime == regime,
                    hold.c.state.in_(STANDING),
                )
                .with_for_update()
            )
        ).first()
        return None if row is None else hold_of(row)

    async def standing_of_line(self, manifest_id: str, line_id: str) -> list[Hold]:
        rows = await self._uow.conn.execute(
            select(hold)
            .where(
                *of_line(hold, manifest_id, line_id),
                hold.c.state.in_(STANDING),
            )
            .order_by(hold.c.regime)
            .with_for_update()
        )
        return [hold_of(r) for r in rows.all()]

    async def standing_regimes(self, manifest_id: str, line_id: str) -> list[str]:
        rows = await self._uow.conn.execute(
            select(hold.c.regime).where(
                *of_line(hold, manifest_id, line_id),
                hold.c.state.in_(STANDING),
            )
        )
        return [r.regime for r in rows]

    async def lines_with_standing_holds(self, lines: Collection[LineKey]) -> set[LineKey]:
        if not lines:
            return set()
        found = await self._uow.conn.execute(
            select(hold.c.manifest_id, hold.c.line_id)
            .where(
                tuple_(hold.c.manifest_id, hold.c.line_id).in_(sorted(lines)),
                STANDING_HOLD,
            )
            .distinct()
        )
        return {(r.manifest_id, r.line_id) for r in found}

    async def update_hold(self, kept: Hold, values: Mapping[str, Any], now: datetime) -> Hold:
        result = await self._uow.conn.execute(
            update(hold)
            .where(
                hold.c.hold_id == kept.hold_id,
                hold.c.state == kept.state,
                hold.c.updated_at == kept.updated_at,
            )
            .values(updated_at=now, **values)
            .returning(hold)
        )
        new: Row[Any] | None = result.first()
        if new is None:
            raise ConcurrentChange(f"hold {kept.hold_id} changed concurrently")
        return hold_of(new)

    async def note_decision(self, hold_id: str, decision_number: int) -> None:
        await self._uow.conn.execute(
            update(hold).where(hold.c.hold_id == hold_id).values(decision_number=decision_number)
        )

    # The line's current decision -------------------------------------------------------------

    async def take_as_current(self, decisions: Sequence[Decision]) -> set[LineKey]:
        # The row locks, taken in key order, serialise a line's decisions across instances
        # (and two instances cannot deadlock).
        rows = sorted(
            (
                {
                    "manifest_id": d.manifest_id,
                    "line_id": d.line_id,
                    "decision_number": d.decision_number,
                    "status": d.status.value,
                    "terminal": d.terminal,
                    "decided_at": d.decided_at,
                }
                for d in decisions
            ),
            key=lambda r: (r["manifest_id"], r["line_id"]),
        )
        taken = await upsert_newer(
            self._uow.conn, line_decision, rows, ["manifest_id", "line_id"], "decision_number"
        )
        return {(r.manifest_id, r.line_id) for r in taken}

    async def decision_number(self, manifest_id: str, line_id: str) -> int | None:
        known: int | None = (
            await self._uow.conn.execute(
                select(line_decision.c.decision_number).where(
                    *of_line(line_decision, manifest_id, line_id)
                )
            )
        ).scalar()
        return known

    # Instructions ------------------------------------------------------------------------

    async def add_instruction(self, sent: Instruction) -> None:
        await self._uow.conn.execute(insert(instruction).values(values_of(sent, ISSUED)))

    async def instruction(self, instruction_id: str) -> Instruction | None:
        row = (
            await self._uow.conn.execute(
                select(instruction)
                .where(instruction.c.instruction_id == instruction_id)
                .with_for_update()
            )
        ).first()
        return None if row is None else instruction_of(row)

    async def record_ack(
        self, instruction_id: str, result: str, detail: str | None, at: datetime
    ) -> None:
        await self._uow.conn.execute(
            update(instruction)
            .where(instruction.c.instruction_id == instruction_id)
            .values(ack_result=result, ack_detail=detail, acknowledged_at=at)
        )

    async def due_instructions(self, now: datetime, most: int) -> list[DueResend]:
        later = aliased(instruction)
        later_to_same_terminal = (
            select(later.c.instruction_id)
            .where(
                later.c.hold_id == instruction.c.hold_id,
                later.c.terminal == instruction.c.terminal,
                later.c.sequence > instruction.c.sequence,
            )
            .exists()
        )
        rows = (
            await self._uow.conn.execute(
                select(
                    instruction,
                    hold.c.current_instruction_id,
                    later_to_same_terminal.label("later"),
                )
                .join(hold, hold.c.hold_id == instruction.c.hold_id)
                .where(
                    instruction.c.ack_result.is_(None),
                    instruction.c.delivery == "kafka",
                    instruction.c.next_attempt_at <= now,
                )
                .order_by(instruction.c.next_attempt_at)
                .limit(most)
                .with_for_update(of=instruction, skip_locked=True)
            )
        ).all()
        return [
            DueResend(
                Instruction(**{c.name: r._mapping[c.name] for c in instruction.c}),
                r.current_instruction_id,
                bool(r.later),
            )
            for r in rows
        ]

    async def record_plan(self, decided: Plan, now: datetime) -> None:
        values: dict[str, Any] = {
            "attempts": decided.sends,
            "next_attempt_at": decided.next_attempt_at,
        }
        if decided.escalate:
            values["escalated_at"] = now
        await self._uow.conn.execute(
            update(instruction)
            .where(instruction.c.instruction_id == decided.instruction_id)
            .values(**values)
        )

    # Irregularities, the audit trail, events -------------------------------------------------

    async def add_irregularity(
        self, irregularity_id: str, hold_id: str, at: datetime, record: dict[str, Any]
    ) -> None:
        await self._uow.conn.execute(
            insert(irregularity).values(
                irregularity_id=irregularity_id, hold_id=hold_id, recorded_at=at, record=record
            )
        )

    async def audit(self, action: audit.Action) -> None:
        # Chained at commit, under the chain's lock (see `pnm.holds.audit`).
        await audit.record_all(self._uow.conn, [action])

    def publish(
        self, topic: Topic, key: str, event_type: str, record: Record, subject: str | None = None
    ) -> None:
        SOURCE.publish(self._uow, topic, key, event_type, record, subject)
