"""What only a hold's competent authority may do (PD for plants, NVWA for animal products):
release it, refuse the goods, have them inspected elsewhere. The caller commits.
docs/holds.md has the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pnm.holds import instructions
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import (
    DESTINATION_SETTABLE,
    BlockStatus,
    HoldState,
    InstructionPurpose,
    Transition,
    release_step,
)
from pnm.holds.lifecycle import change, step
from pnm.holds.store import Hold, HoldStore
from pnm.shared.competence import role_of_regime
from pnm.shared.contracts.records import Regime


class NotTheAuthority(PermissionError):
    pass


def authority_of(row: Hold, actor: Actor, action: str) -> None:
    role = role_of_regime(Regime(row.regime))
    if role not in actor.roles:
        raise NotTheAuthority(
            f"only {row.authority} (role {role}) may {action} hold {row.hold_id} "
            f"({row.regime}); token has roles [{', '.join(sorted(actor.roles))}]"
        )


async def release(store: HoldStore, hold_id: str, reason: str, actor: Actor, now: datetime) -> Hold:
    """The competent authority releases: the terminal is told to lift the block (or, when no
    block ever went out, the hold is released at once)."""
    row = await store.hold(hold_id)
    authority_of(row, actor, "release")
    step_taken = release_step(BlockStatus(row.block_status) is not BlockStatus.NONE)
    release_values = {"released_by": actor.subject, "release_reason": reason}
    if step_taken is Transition.RELEASE_UNSENT:
        return await step(
            store, row, step_taken, now, actor, reason=reason, released_at=now, **release_values
        )
    row = await step(store, row, step_taken, now, actor, reason=reason, **release_values)
    return await instructions.issue(
        store, row, InstructionPurpose.RELEASE, now, actor, reason=f"released: {reason}"
    )


async def refuse_goods(
    store: HoldStore,
    hold_id: str,
    outcome: Literal["re_export", "destruction"],
    reason: str,
    actor: Actor,
    now: datetime,
) -> Hold:
    """After an irregularity the authority refuses the goods: the hold closes, the terminal
    keeps the block while the goods leave under the authority's supervision."""
    row = await store.hold(hold_id)
    authority_of(row, actor, "refuse the goods of")
    return await step(
        store, row, Transition.REFUSE_GOODS, now, actor, reason=reason, outcome=outcome
    )


class NoDestinationNow(ValueError):
    pass


async def direct_to_inspection(
    store: HoldStore, hold_id: str, destination: str, reason: str, actor: Actor, now: datetime
) -> Hold:
    """The authority has the goods inspected elsewhere (an approved inspection centre): the
    hold records where, and when a block is out the terminal gets a new block instruction
    carrying the destination (it supersedes the one before)."""
    row = await store.hold(hold_id)
    authority_of(row, actor, "direct the goods of")
    state = HoldState(row.state)
    if state not in DESTINATION_SETTABLE:
        raise NoDestinationNow(
            f"hold {hold_id} is {state.value}: a destination can be set only while the goods "
            f"are held ({', '.join(sorted(s.value for s in DESTINATION_SETTABLE))})"
        )
    row = await change(
        store,
        row,
        now,
        actor,
        "hold.destination",
        {"destination": destination},
        detail=f"to {destination}: {reason}",
    )
    if BlockStatus(row.block_status) in (BlockStatus.PENDING, BlockStatus.APPLIED):
        row = await instructions.issue(
            store, row, InstructionPurpose.BLOCK, now, actor, reason=f"inspection at {destination}"
        )
        if state is HoldState.ACKNOWLEDGED:
            row = await step(store, row, Transition.INSTRUCT_BLOCK, now, actor, reason=reason)
    return row
