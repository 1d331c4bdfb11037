from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from pnm.matcher.adapters.tables import decision
from pnm.shared.auth import OFFICIAL_READERS, Caller, require_any
from pnm.shared.contracts.records import DecisionStatus
from pnm.shared.http import AUTH_RESPONSES, MAX_OFFSET, DomainError, Problem
from pnm.shared.service import ServiceContext


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["decisions"])

    @router.get(
        "/decisions/{manifest_id}/{line_id}",
        responses={**AUTH_RESPONSES, 404: {"model": Problem, "description": "no decision yet"}},
    )
    async def get_decision(manifest_id: str, line_id: str, caller: Caller) -> dict[str, Any]:
        require_any(caller, *OFFICIAL_READERS)
        async with ctx.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(decision.c.payload).where(
                        decision.c.manifest_id == manifest_id, decision.c.line_id == line_id
                    )
                )
            ).first()
        if row is None:
            raise DomainError(404, f"no decision for line {line_id!r} of manifest {manifest_id!r}")
        return dict(row.payload)

    @router.get("/decisions", responses=AUTH_RESPONSES)
    async def list_decisions(
        caller: Caller,
        status: DecisionStatus | None = None,
        manifest_id: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        require_any(caller, *OFFICIAL_READERS)
        query = select(decision.c.payload).order_by(decision.c.manifest_id, decision.c.line_id)
        if status is not None:
            query = query.where(decision.c.status == status.value)
        if manifest_id is not None:
            query = query.where(decision.c.manifest_id == manifest_id)
        async with ctx.engine.connect() as conn:
            rows = await conn.execute(query.limit(limit).offset(offset))
        return [dict(r.payload) for r in rows]

    return router
