from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from pnm.holds import handlers
from pnm.holds.adapters.tables import hold, instruction
from pnm.holds.api.fees import add_fee_route
from pnm.holds.domain.hold import HoldState, IllegalTransition
from pnm.holds.reconciliation import reconcile
from pnm.shared.auth import (
    OFFICIAL_READERS,
    AuthError,
    AuthoriseFirst,
    Principal,
    Requires,
    terminal_codes,
)
from pnm.shared.contracts.records import TerminalAck
from pnm.shared.http import AUTH_RESPONSES, MAX_OFFSET, DomainError, Problem
from pnm.shared.reconciliation import add_reconciliation_route
from pnm.shared.service import ServiceContext

# A terminal (or an admin), checked before the acknowledgement is read (AuthoriseFirst).
Terminal = Annotated[Principal, Depends(Requires("terminal:*", "admin"))]
# Officials see every hold, a terminal its own.
HoldReader = Annotated[Principal, Depends(Requires(*OFFICIAL_READERS, "terminal:*"))]


class AckResult(BaseModel):
    instruction_id: str
    hold_id: str
    hold_state: HoldState
    duplicate: bool


def _hold_view(row: Any, instructions: list[Any]) -> dict[str, Any]:
    view = {k: v for k, v in row._mapping.items()}
    view["instructions"] = [
        {**i.payload, "ack_result": i.ack_result, "acknowledged_at": i.acknowledged_at}
        for i in instructions
    ]
    return view


def visible_terminals(caller: Principal) -> frozenset[str] | None:
    """None: every hold (officials); else the caller's own terminals' holds only."""
    if not caller.roles.isdisjoint(OFFICIAL_READERS):
        return None
    return terminal_codes(caller)


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["holds"], route_class=AuthoriseFirst)

    @router.post(
        "/acks",
        responses={
            403: {"description": "the instruction belongs to another terminal"},
            404: {"description": "unknown instruction"},
            409: {"description": "the hold cannot take this acknowledgement"},
        },
    )
    async def acknowledge(ack: TerminalAck, caller: Terminal) -> AckResult:
        """A terminal confirms (or could not apply) an instruction (role `terminal:<code>`)."""
        if ack.terminal not in terminal_codes(caller) and not caller.has("admin"):
            raise AuthError(
                403,
                f"role terminal:{ack.terminal} required to acknowledge for that terminal; "
                f"token has roles [{', '.join(sorted(caller.roles))}]",
            )
        try:
            async with ctx.uow_factory() as uow:
                outcome = await handlers.acknowledge(uow, ack, ctx.clock())
                await uow.commit()
        except handlers.UnknownInstruction as err:
            raise DomainError(404, str(err)) from err
        except handlers.WrongTerminal as err:
            raise DomainError(403, str(err)) from err
        except IllegalTransition as err:
            raise DomainError(409, str(err)) from err
        return AckResult(
            instruction_id=outcome.instruction_id,
            hold_id=outcome.hold_id,
            hold_state=outcome.hold_state,
            duplicate=outcome.duplicate,
        )

    @router.get("/holds", responses=AUTH_RESPONSES)
    async def list_holds(
        caller: HoldReader,
        manifest_id: str | None = None,
        line_id: str | None = None,
        state: HoldState | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        query = select(hold).order_by(hold.c.opened_at, hold.c.hold_id)
        if (own := visible_terminals(caller)) is not None:
            query = query.where(hold.c.terminal.in_(own))
        if manifest_id is not None:
            query = query.where(hold.c.manifest_id == manifest_id)
        if line_id is not None:
            query = query.where(hold.c.line_id == line_id)
        if state is not None:
            query = query.where(hold.c.state == state.value)
        async with ctx.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
            sent = (
                await conn.execute(
                    select(instruction)
                    .where(instruction.c.hold_id.in_([r.hold_id for r in rows]))
                    .order_by(instruction.c.sequence)
                )
            ).all()
        return [_hold_view(r, [i for i in sent if i.hold_id == r.hold_id]) for r in rows]

    @router.get(
        "/holds/{hold_id}",
        responses={**AUTH_RESPONSES, 404: {"model": Problem, "description": "unknown hold"}},
    )
    async def get_hold(hold_id: str, caller: HoldReader) -> dict[str, Any]:
        own = visible_terminals(caller)
        async with ctx.engine.connect() as conn:
            row = (await conn.execute(select(hold).where(hold.c.hold_id == hold_id))).first()
            sent = (
                await conn.execute(
                    select(instruction)
                    .where(instruction.c.hold_id == hold_id)
                    .order_by(instruction.c.sequence)
                )
            ).all()
        if row is None or (own is not None and row.terminal not in own):
            raise DomainError(404, f"no hold {hold_id!r}")
        return _hold_view(row, list(sent))

    add_reconciliation_route(
        router,
        ctx,
        reconcile,
        "Decisions that need a hold and have none after the grace time, and decision events "
        "that could not be read at all (roles: customs-prearrival, inspectors, admin).",
    )
    add_fee_route(router, ctx)
    return router
