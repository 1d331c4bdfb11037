from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from pnm.holds import acks, authority, manual, views
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.api.audit import add_audit_routes
from pnm.holds.api.callers import (
    AuthorityOfficer,
    Escalations,
    HoldReader,
    PreArrival,
    TerminalSystem,
)
from pnm.holds.api.cases import add_case_routes
from pnm.holds.api.fees import add_fee_route
from pnm.holds.api.irregularities import add_irregularity_routes
from pnm.holds.api.paging import Limit, Offset
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import HoldState
from pnm.holds.reconciliation import reconcile
from pnm.holds.store import Hold, HoldStore, UnknownHold
from pnm.shared.access import OFFICIAL_READERS, AuthoriseFirst, terminal_codes
from pnm.shared.auth import AuthError, Principal
from pnm.shared.contracts.limits import CONTAINERS_MAX, Code, Container, Identifier
from pnm.shared.contracts.records import Record, Regime, TerminalAck
from pnm.shared.http import AUTH_RESPONSES, DomainError, Problem
from pnm.shared.reconciliation import add_reconciliation_route
from pnm.shared.roles import Role
from pnm.shared.service import ServiceContext

ReasonText = Annotated[str, Field(min_length=1, max_length=2000)]


class Release(Record):
    reason: ReasonText


class RefuseGoods(Record):
    outcome: Literal["re_export", "destruction"]
    reason: ReasonText


class BlockAgain(Record):
    reason: ReasonText


class Destination(Record):
    destination: Code  # the approved inspection centre's code
    reason: ReasonText


class ManualHold(Record):
    manifest_id: Identifier
    line_id: Identifier
    regime: Regime
    terminal: Identifier
    containers: list[Container] = Field(default_factory=list, max_length=CONTAINERS_MAX)
    transport_document: Code | None = None
    reason: ReasonText


ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"model": Problem, "description": "unknown hold"},
    409: {"model": Problem, "description": "the hold's state does not allow this action"},
}


class AckResult(BaseModel):
    instruction_id: str
    hold_id: str
    hold_state: HoldState
    duplicate: bool


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
    async def acknowledge(ack: TerminalAck, caller: TerminalSystem) -> AckResult:
        """A terminal confirms (or could not apply) an instruction (role `terminal:<code>`)."""
        if ack.terminal not in terminal_codes(caller) and not caller.has(Role.ADMIN):
            raise AuthError(
                403,
                f"role terminal:{ack.terminal} required to acknowledge for that terminal; "
                f"token has roles [{', '.join(sorted(caller.roles))}]",
            )
        async with ctx.uow_factory() as uow:
            outcome = await acks.acknowledge(PostgresHoldStore(uow), ack, ctx.clock())
            await uow.commit()
        return AckResult(
            instruction_id=outcome.instruction_id,
            hold_id=outcome.hold_id,
            hold_state=outcome.hold_state,
            duplicate=outcome.duplicate,
        )

    @router.get("/instructions", responses=AUTH_RESPONSES)
    async def own_instructions(
        caller: TerminalSystem,
        after: Annotated[
            AwareDatetime | None,
            Query(description="only instructions issued at or after this time (with offset)"),
        ] = None,
        unanswered: Annotated[
            bool, Query(description="only those not yet acknowledged (the default)")
        ] = True,
        limit: Limit = 500,
    ) -> list[dict[str, Any]]:
        """For a terminal that does not use Kafka: its own instructions (role
        `terminal:<code>`), in order per hold. Poll with `unanswered=true`: an instruction
        stays in the list until it is acknowledged (POST /holds/acks), which is how it is
        sent again; apply each only above the last sequence applied for its hold, and only
        once per instruction id. Shadow-mode instructions are never listed."""
        async with ctx.engine.connect() as conn:
            return await views.terminal_instructions(
                conn,
                None if caller.has(Role.ADMIN) else terminal_codes(caller),
                after,
                unanswered,
                limit,
            )

    @router.get("/escalations", responses=AUTH_RESPONSES)
    async def escalations(
        caller: Escalations,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        """What needs a person, oldest first: standing holds no terminal could be instructed
        for (`no_terminal`, `unknown_terminal`), whose instruction the terminal rejected
        (`block_rejected`, `release_rejected`) or left unanswered past the escalation time
        (`block_unanswered`, `release_unanswered`). Roles: customs-prearrival, inspectors."""
        async with ctx.engine.connect() as conn:
            return await views.escalations(conn, limit, offset)

    @router.get("/holds", responses=AUTH_RESPONSES)
    async def list_holds(
        caller: HoldReader,
        limit: Limit = 100,
        offset: Offset = 0,
        manifest_id: str | None = None,
        line_id: str | None = None,
        state: HoldState | None = None,
    ) -> list[dict[str, Any]]:
        wanted = views.Holds(visible_terminals(caller), manifest_id, line_id, state)
        async with ctx.engine.connect() as conn:
            return await views.holds(conn, wanted, limit, offset)

    @router.get(
        "/holds/{hold_id}",
        responses={**AUTH_RESPONSES, 404: {"model": Problem, "description": "unknown hold"}},
    )
    async def get_hold(hold_id: str, caller: HoldReader) -> dict[str, Any]:
        async with ctx.engine.connect() as conn:
            found = await views.one(conn, hold_id, visible_terminals(caller))
        if found is None:
            raise DomainError(404, f"no hold {hold_id!r}")
        return found

    async def act(
        action: Callable[[HoldStore], Awaitable[Hold]],
    ) -> dict[str, Any]:
        """Run one person's action on a hold in its own transaction; refusals are 4xx."""
        async with ctx.uow_factory() as uow:
            row = await action(PostgresHoldStore(uow))
            await uow.commit()
        async with ctx.engine.connect() as conn:
            view = await views.one(conn, row.hold_id)
        if view is None:  # holds are never deleted: only a fault gets here, named as such
            raise UnknownHold(f"hold {row.hold_id} was acted on but cannot be read back")
        return view

    @router.post("/holds/{hold_id}/release", responses=ACTION_RESPONSES)
    async def release(hold_id: str, body: Release, caller: AuthorityOfficer) -> dict[str, Any]:
        """The competent authority releases its hold (PD: phyto, NVWA: vet), with a reason.
        The terminal gets a `release` instruction; the hold is `released` when it confirms."""
        return await act(
            lambda store: authority.release(
                store, hold_id, body.reason, Actor.of(caller), ctx.clock()
            )
        )

    @router.post("/holds/{hold_id}/refuse", responses=ACTION_RESPONSES)
    async def refuse(hold_id: str, body: RefuseGoods, caller: AuthorityOfficer) -> dict[str, Any]:
        """After an irregularity the authority refuses the goods (re-export or destruction)."""
        return await act(
            lambda store: authority.refuse_goods(
                store, hold_id, body.outcome, body.reason, Actor.of(caller), ctx.clock()
            )
        )

    @router.post("/holds/{hold_id}/destination", responses=ACTION_RESPONSES)
    async def destination(
        hold_id: str, body: Destination, caller: AuthorityOfficer
    ) -> dict[str, Any]:
        """The hold's authority has the goods inspected at an approved inspection centre: the
        hold records it, and a block that is out is sent again carrying the destination."""
        return await act(
            lambda store: authority.direct_to_inspection(
                store, hold_id, body.destination, body.reason, Actor.of(caller), ctx.clock()
            )
        )

    @router.post("/holds/{hold_id}/block", responses=ACTION_RESPONSES)
    async def block_again(hold_id: str, body: BlockAgain, caller: Escalations) -> dict[str, Any]:
        """Send a rejected block again (after talking to the terminal)."""
        return await act(
            lambda store: manual.block_again(
                store, hold_id, body.reason, Actor.of(caller), ctx.clock()
            )
        )

    @router.post(
        "/holds/manual",
        status_code=201,
        responses={
            **AUTH_RESPONSES,
            409: {"model": Problem, "description": "the line is already held for the regime"},
        },
    )
    async def manual_hold(body: ManualHold, caller: PreArrival) -> dict[str, Any]:
        """Customs pre-arrival blocks a line by hand, with a reason; the regime's authority
        releases it (role customs-prearrival)."""
        request = manual.ManualBlock(**body.model_dump())
        return await act(
            lambda store: manual.place_manual_hold(store, request, Actor.of(caller), ctx.clock())
        )

    add_audit_routes(router, ctx)
    add_case_routes(router, ctx)
    add_irregularity_routes(router, ctx)
    add_reconciliation_route(
        router,
        ctx,
        reconcile,
        "Decisions that need a hold and have none after the grace time, and decision events "
        "that could not be read at all (roles: customs-prearrival, inspectors, admin).",
    )
    add_fee_route(router, ctx)
    return router
