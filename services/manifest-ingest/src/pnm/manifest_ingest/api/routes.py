from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from pnm.manifest_ingest import handlers
from pnm.manifest_ingest.adapters.tables import manifest_line
from pnm.shared.auth import OFFICIAL_READERS, Caller, require_any
from pnm.shared.contracts.records import Arrival, ManifestLine
from pnm.shared.http import AUTH_RESPONSES, DomainError, Problem
from pnm.shared.service import ServiceContext

MAX_LINES = 20_000
WRITERS = ("feed:dmf", "admin")


class LineBatch(BaseModel):
    lines: list[ManifestLine] = Field(min_length=1, max_length=MAX_LINES)


class LineBatchResult(BaseModel):
    received: int
    stored: int


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["manifests"])

    @router.post("/lines", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def declare_lines(batch: LineBatch, caller: Caller) -> LineBatchResult:
        """Manifest lines from DMF (role `feed:dmf`)."""
        require_any(caller, *WRITERS)
        async with ctx.uow_factory() as uow:
            result = await handlers.declare_lines(uow, batch.lines)
            await uow.commit()
        return LineBatchResult(received=result.received, stored=result.stored)

    @router.post("/arrivals", status_code=status.HTTP_202_ACCEPTED, responses=AUTH_RESPONSES)
    async def record_arrival(record: Arrival, caller: Caller) -> dict[str, str]:
        """A vessel or flight arrived, or containers were discharged (role `feed:dmf`)."""
        require_any(caller, *WRITERS)
        async with ctx.uow_factory() as uow:
            await handlers.record_arrival(uow, record)
            await uow.commit()
        return {"manifest_id": record.manifest_id, "status": "recorded"}

    @router.get(
        "/manifests/{manifest_id}/lines/{line_id}",
        responses={**AUTH_RESPONSES, 404: {"model": Problem, "description": "unknown"}},
    )
    async def get_line(manifest_id: str, line_id: str, caller: Caller) -> dict[str, Any]:
        require_any(caller, *OFFICIAL_READERS)
        async with ctx.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(manifest_line.c.record).where(
                        manifest_line.c.manifest_id == manifest_id,
                        manifest_line.c.line_id == line_id,
                    )
                )
            ).first()
        if row is None:
            raise DomainError(404, f"no line {line_id!r} on manifest {manifest_id!r}")
        return dict(row.record)

    return router
