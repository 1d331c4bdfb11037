from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from sqlalchemy import select

from pnm.prenotification import handlers
from pnm.prenotification.adapters.tables import prenotification
from pnm.prenotification.domain.intake import IntakeOutcome
from pnm.shared.contracts.records import PreNotification
from pnm.shared.http import DomainError
from pnm.shared.service import ServiceContext


class IntakeResult(BaseModel):
    reference: str
    version: int
    outcome: IntakeOutcome


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["pre-notifications"])

    @router.post(
        "/prenotifications",
        status_code=status.HTTP_201_CREATED,
        responses={200: {"model": IntakeResult, "description": "amended, or a known version"}},
    )
    async def submit(record: PreNotification, response: Response) -> IntakeResult:
        async with ctx.uow_factory() as uow:
            result = await handlers.submit(uow, record)
            await uow.commit()
        if result is not IntakeOutcome.CREATED:
            response.status_code = status.HTTP_200_OK
        return IntakeResult(reference=record.reference, version=record.version, outcome=result)

    @router.get("/prenotifications/{reference}", responses={404: {"description": "unknown"}})
    async def get(reference: str) -> dict[str, Any]:
        async with ctx.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(prenotification.c.record).where(prenotification.c.reference == reference)
                )
            ).first()
        if row is None:
            raise DomainError(404, f"no pre-notification with reference {reference!r}")
        return dict(row.record)

    return router
