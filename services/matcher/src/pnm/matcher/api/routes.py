from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher import views
from pnm.matcher.adapters.indicator_sets import (
    activate_indicator_set,
    active_indicator_set,
    indicator_set_by_version,
    list_indicator_sets,
    store_indicator_set,
)
from pnm.matcher.adapters.postgres_store import PostgresStore
from pnm.matcher.domain.indicators import IndicatorSetDocument
from pnm.matcher.domain.quantity import QUANTITY_EXCEEDED, over_used
from pnm.matcher.reconciliation import reconcile
from pnm.matcher.service_layer import service
from pnm.matcher.settings import decision_settings
from pnm.shared.access import AuthoriseFirst, OfficialReader, Requires
from pnm.shared.auth import Principal
from pnm.shared.contracts.limits import REFERENCE_MAX, Instant
from pnm.shared.contracts.records import Decision, DecisionStatus
from pnm.shared.http import AUTH_RESPONSES, MAX_OFFSET, DomainError, Problem
from pnm.shared.reconciliation import add_reconciliation_route
from pnm.shared.roles import Role
from pnm.shared.service import ServiceContext

ANALYSTS = (Role.ANALYST, Role.ADMIN)
# Who changes indicator sets, checked before a request's body is read (AuthoriseFirst).
Analyst = Annotated[Principal, Depends(Requires(*ANALYSTS))]
NO_SUCH_LINE_OR_SET: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such line or indicator set"}
}
LINE_READ = {**AUTH_RESPONSES, **NO_SUCH_LINE_OR_SET}


class NotificationLine(BaseModel):
    manifest_id: str
    line_id: str
    status: DecisionStatus
    quantity_exceeded: bool


class NotificationUse(BaseModel):
    reference: str
    flags: list[str]
    lines: list[NotificationLine]


Found = TypeVar("Found", dict[str, Any], list[dict[str, Any]])
# A read of one line: (conn, manifest_id, line_id) -> what was found, empty or None if nothing.
LineView = Callable[[AsyncConnection, str, str], Awaitable[Found | None]]


def _no_decision(manifest_id: str, line_id: str) -> DomainError:
    return DomainError(404, f"no decision for line {line_id!r} of manifest {manifest_id!r}")


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(route_class=AuthoriseFirst)

    async def of_line(view: LineView[Found], manifest_id: str, line_id: str) -> Found:
        """What `view` finds of the line's decisions; 404 when it has none."""
        async with ctx.engine.connect() as conn:
            found = await view(conn, manifest_id, line_id)
        if not found:
            raise _no_decision(manifest_id, line_id)
        return found

    @router.get("/decisions/{manifest_id}/{line_id}", tags=["decisions"], responses=LINE_READ)
    async def get_decision(
        manifest_id: str, line_id: str, caller: OfficialReader
    ) -> dict[str, Any]:
        """The current decision of a line, with its reasons and per-field explanation."""
        return await of_line(views.current, manifest_id, line_id)

    @router.get(
        "/decisions/{manifest_id}/{line_id}/history", tags=["decisions"], responses=LINE_READ
    )
    async def decision_history_of(
        manifest_id: str, line_id: str, caller: OfficialReader
    ) -> list[dict[str, Any]]:
        """Every decision the line has had, oldest first."""
        return await of_line(views.history, manifest_id, line_id)

    @router.get("/decisions", tags=["decisions"], responses=AUTH_RESPONSES)
    async def list_decisions(
        caller: OfficialReader,
        status: DecisionStatus | None = None,
        manifest_id: str | None = None,
        bcp: str | None = Query(None, description="port of discharge (UN/LOCODE), e.g. NLRTM"),
        arrival_from: Instant | None = None,
        arrival_to: Instant | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        """Queues: decisions by status, BCP and arrival window, earliest arrival first."""
        wanted = views.QueueFilter(status, manifest_id, bcp, arrival_from, arrival_to)
        async with ctx.engine.connect() as conn:
            return await views.queue(conn, wanted, limit, offset)

    @router.get(
        "/dry-run/{manifest_id}/{line_id}",
        tags=["decisions"],
        responses={**AUTH_RESPONSES, **NO_SUCH_LINE_OR_SET},
    )
    async def dry_run(
        manifest_id: str,
        line_id: str,
        caller: OfficialReader,
        indicator_set: str | None = Query(
            None, description="a stored indicator set version; default: the active one"
        ),
    ) -> Decision:
        """What the line's decision would be now, under the active or a proposed indicator
        set. Reads only; nothing is stored or published."""
        key = (manifest_id, line_id)
        async with ctx.engine.connect() as conn:
            indicators = (
                await indicator_set_by_version(conn, indicator_set)
                if indicator_set
                else await active_indicator_set(conn)
            )
            decided = await service.dry_run(
                PostgresStore(conn), key, ctx.clock(), indicators, decision_settings()
            )
            await conn.rollback()
        if decided is None:
            raise DomainError(404, f"no line {line_id!r} of manifest {manifest_id!r}")
        return decided.evaluation.decision

    @router.get(
        "/notifications/{reference}/lines",
        tags=["decisions"],
        # A reference no path can hold (a line break) matches no route: 404.
        responses={**AUTH_RESPONSES, 404: {"model": Problem, "description": "no such path"}},
    )
    async def notification_lines(
        reference: Annotated[str, Path(min_length=1, max_length=REFERENCE_MAX)],
        caller: OfficialReader,
    ) -> NotificationUse:
        """The lines whose current decision names the pre-notification, and its compliance
        flags: `quantity_exceeded` when lines together use it beyond the quantity it
        declares (docs/quantity-budget.md)."""
        async with ctx.engine.connect() as conn:
            named = await views.decisions_naming(conn, reference)
        over = {(d.manifest_id, d.line_id) for d in over_used(reference, named)}
        return NotificationUse(
            reference=reference,
            flags=[QUANTITY_EXCEEDED] if over else [],
            lines=[
                NotificationLine(
                    manifest_id=d.manifest_id,
                    line_id=d.line_id,
                    status=d.status,
                    quantity_exceeded=(d.manifest_id, d.line_id) in over,
                )
                for d in named
            ],
        )

    @router.get("/indicator-sets", tags=["indicator sets"], responses=AUTH_RESPONSES)
    async def indicator_sets(caller: OfficialReader) -> list[dict[str, Any]]:
        """Every stored set with who uploaded and activated it, and which one decides now."""
        async with ctx.engine.connect() as conn:
            return await list_indicator_sets(conn)

    @router.get(
        "/indicator-sets/{version}",
        tags=["indicator sets"],
        responses={**AUTH_RESPONSES, **NO_SUCH_LINE_OR_SET},
    )
    async def get_indicator_set(version: str, caller: OfficialReader) -> IndicatorSetDocument:
        async with ctx.engine.connect() as conn:
            return (await indicator_set_by_version(conn, version)).document

    @router.post(
        "/indicator-sets",
        status_code=201,
        tags=["indicator sets"],
        responses={
            **AUTH_RESPONSES,
            409: {"model": Problem, "description": "that version exists; versions never change"},
        },
    )
    async def upload_indicator_set(
        document: IndicatorSetDocument, caller: Analyst
    ) -> dict[str, Any]:
        """Store a new indicator set (validated as a whole). It decides nothing until it is
        activated; try it first with the dry run or `pnm replay --compare`."""
        async with ctx.uow_factory() as uow:
            await store_indicator_set(uow.conn, document, caller.subject, ctx.clock())
            await uow.commit()
        return {"version": document.version, "uploaded_by": caller.subject}

    @router.post(
        "/indicator-sets/{version}/activate",
        tags=["indicator sets"],
        responses={**AUTH_RESPONSES, **NO_SUCH_LINE_OR_SET},
    )
    async def activate(version: str, caller: Analyst) -> dict[str, Any]:
        """From now on decisions are made under this set and record its version."""
        async with ctx.uow_factory() as uow:
            await activate_indicator_set(uow.conn, version, caller.subject, ctx.clock())
            await uow.commit()
        return {"version": version, "activated_by": caller.subject}

    @router.get("/unprocessable", tags=["completeness"], responses=AUTH_RESPONSES)
    async def list_unprocessable(
        caller: OfficialReader,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        """Lines the matcher could not process, newest first: the error, the `review`
        decision they were given, and the event as it was received."""
        async with ctx.engine.connect() as conn:
            return await views.unprocessable(conn, limit, offset)

    add_reconciliation_route(
        router,
        ctx,
        reconcile,
        "Lines accepted by manifest-ingest that have no decision after the grace time, and "
        "line events that could not be read at all (roles: customs-prearrival, inspectors, "
        "admin).",
    )
    return router
