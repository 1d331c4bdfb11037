"""What only a hold's competent authority may do (PD for plants, NVWA for animal products):
release it, refuse the goods, have them inspected elsewhere. The caller commits.
docs/holds.md has the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row

from pnm.holds import instructions
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import (
    AUTHORITY,
    AUTHORITY_ROLE,
    DESTINATION_SETTABLE,
    BlockStatus,
    HoldState,
    InstructionPurpose,
    Transition,
    release_step,
)
from pnm.holds.lifecycle import change, load, step
from pnm.shared.contracts.records import Regime
from pnm.shared.db import UnitOfWork


class NotTheAuthority(PermissionError):
    pass


def authority_of(row: Row[Any], actor: Actor, action: str) -> None:
    role = AUTHORITY_ROLE[AUTHORITY[Regime(row.regime)]]
    if role not in actor.roles:
        raise NotTheAuthority(
            f"only {row.authority} (role {role}) may {action} hold {row.hold_id} "
            f"({row.regime}); token has roles [{', '.join(sorted(actor.roles))}]"
        )


async def release(
    uow: UnitOfWork, hold_id: str, reason: str, actor: Actor, now: datetime
) -> Row[Any]:
    """The competent authority releases: the terminal is told to lift the block (or, when no
    block ever went out, the hold is released at once)."""
    row = await load(uow, hold_id)
    authority_of(row, actor, "release")
    step_taken = release_step(BlockStatus(row.block_status) is not BlockStatus.NONE)
    release_values = {"released_by": actor.subject, "release_reason": reason}
    if step_taken is Transition.RELEASE_UNSENT:
        return await step(
            uow, row, step_taken, now, actor, reason=reason, released_at=now, **release_values
        )
    row = await step(uow, row, step_taken, now, actor, reason=reason, **release_values)
    return await instructions.issue(
        uow, row, InstructionPurpose.RELEASE, now, actor, reason=f"released: {reason}"
    )


async def refuse_goods(
    uow: UnitOfWork,
    hold_id: str,
    outcome: Literal["re_export", "destruction"],
    reason: str,
    actor: Actor,
    now: datetime,
) -> Row[Any]:
    """After an irregularity the authority refuses the goods: the hold closes, the terminal
    keeps the block while the goods leave under the authority's supervision."""
    row = await load(uow, hold_id)
    authority_of(row, actor, "refuse the goods of")
    return await step(uow, row, Transition.REFUSE_GOODS, now, actor, reason=reason, outcome=outcome)


class NoDestinationNow(ValueError):
    pass


async def direct_to_inspection(
    uow: UnitOfWork, hold_id: str, destination: str, reason: str, actor: Actor, now: datetime
) -> Row[Any]:
    """The authority has the goods inspected elsewhere (an approved inspection centre): the
    hold records where, and when a block is out the terminal gets a new block instruction
    carrying the destination (it supersedes the one before)."""
    row = await load(uow, hold_id)
    authority_of(row, actor, "direct the goods of")
    state = HoldState(row.state)
    if state not in DESTINATION_SETTABLE:
        raise NoDestinationNow(
            f"hold {hold_id} is {state.value}: a destination can be set only while the goods "
            f"are held ({', '.join(sorted(s.value for s in DESTINATION_SETTABLE))})"
        )
    row = await change(
        uow,
        row,
        now,
        actor,
        "hold.destination",
        {"destination": destination},
        detail=f"to {destination}: {reason}",
    )
    if BlockStatus(row.block_status) in (BlockStatus.PENDING, BlockStatus.APPLIED):
        row = await instructions.issue(
            uow, row, InstructionPurpose.BLOCK, now, actor, reason=f"inspection at {destination}"
        )
        if state is HoldState.ACKNOWLEDGED:
            row = await step(uow, row, Transition.INSTRUCT_BLOCK, now, actor, reason=reason)
    return row
