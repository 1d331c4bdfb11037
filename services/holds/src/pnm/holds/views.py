"""The holds service's reads: holds with their instructions, a terminal's own instructions,
the escalations. Reads only; the routes map "not found" to 404."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds.adapters.tables import hold, instruction
from pnm.holds.domain.hold import OPEN_STATES, HoldState


def _hold_view(row: Any, instructions: list[Any]) -> dict[str, Any]:
    view = {k: v for k, v in row._mapping.items()}
    view["instructions"] = [_instruction_view(i) for i in instructions]
    return view


def _instruction_view(sent: Any) -> dict[str, Any]:
    """The instruction as sent, and what became of it: `delivery` is `shadow` when it was
    recorded only (a terminal in shadow mode)."""
    return {
        **sent.payload,
        "purpose": sent.purpose,
        "delivery": sent.delivery,
        "sends": sent.attempts,
        "next_attempt_at": sent.next_attempt_at,
        "escalated_at": sent.escalated_at,
        "ack_result": sent.ack_result,
        "ack_detail": sent.ack_detail,
        "acknowledged_at": sent.acknowledged_at,
    }


async def _with_instructions(conn: AsyncConnection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The holds with their instructions, in sequence."""
    sent = (
        await conn.execute(
            select(instruction)
            .where(instruction.c.hold_id.in_([r.hold_id for r in rows]))
            .order_by(instruction.c.sequence)
        )
    ).all()
    return [_hold_view(r, [i for i in sent if i.hold_id == r.hold_id]) for r in rows]


async def kept(conn: AsyncConnection, hold_id: str) -> Row[Any] | None:
    """The hold as kept, without its instructions."""
    return (await conn.execute(select(hold).where(hold.c.hold_id == hold_id))).first()


async def one(
    conn: AsyncConnection, hold_id: str, terminals: Collection[str] | None = None
) -> dict[str, Any] | None:
    """A hold with its instructions; `terminals`: only if it is one of theirs."""
    row = await kept(conn, hold_id)
    if row is None or (terminals is not None and row.terminal not in terminals):
        return None
    [view] = await _with_instructions(conn, [row])
    return view


@dataclass(frozen=True)
class Holds:
    terminals: Collection[str] | None = None  # None: every terminal's
    manifest_id: str | None = None
    line_id: str | None = None
    state: HoldState | None = None


async def holds(
    conn: AsyncConnection, wanted: Holds, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Holds, oldest first, with their instructions."""
    query = select(hold).order_by(hold.c.opened_at, hold.c.hold_id)
    if wanted.terminals is not None:
        query = query.where(hold.c.terminal.in_(wanted.terminals))
    if wanted.manifest_id is not None:
        query = query.where(hold.c.manifest_id == wanted.manifest_id)
    if wanted.line_id is not None:
        query = query.where(hold.c.line_id == wanted.line_id)
    if wanted.state is not None:
        query = query.where(hold.c.state == wanted.state.value)
    rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return await _with_instructions(conn, rows)


async def escalations(conn: AsyncConnection, limit: int, offset: int) -> list[dict[str, Any]]:
    """Standing holds that need a person, oldest escalation first."""
    query = (
        select(hold)
        .where(hold.c.escalation.is_not(None), hold.c.state.in_([s.value for s in OPEN_STATES]))
        .order_by(hold.c.escalated_at, hold.c.hold_id)
    )
    rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return await _with_instructions(conn, rows)


async def terminal_instructions(
    conn: AsyncConnection,
    terminals: Collection[str] | None,
    after: datetime | None,
    unanswered: bool,
    limit: int,
) -> list[dict[str, Any]]:
    """Instructions sent over Kafka (never shadow-mode ones), in order per hold;
    `terminals`: None for every terminal's."""
    i = instruction.c
    query = (
        select(instruction)
        .where(i.delivery == "kafka")
        .order_by(i.issued_at, i.hold_id, i.sequence)
    )
    if terminals is not None:
        query = query.where(i.terminal.in_(terminals))
    if after is not None:
        query = query.where(i.issued_at >= after)
    if unanswered:
        query = query.where(i.ack_result.is_(None))
    return [_instruction_view(r) for r in (await conn.execute(query.limit(limit))).all()]


async def open_escalations(conn: AsyncConnection) -> dict[str, int]:
    """How many standing holds wait for a person, by kind of escalation (the gauge)."""
    counted = await conn.execute(
        select(hold.c.escalation, func.count())
        .where(hold.c.escalation.is_not(None), hold.c.state.in_([s.value for s in OPEN_STATES]))
        .group_by(hold.c.escalation)
    )
    return {kind: int(n) for kind, n in counted.all()}
