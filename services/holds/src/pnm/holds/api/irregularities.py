"""Irregularities over HTTP (docs/irregularities.md): recorded by the hold's authority, listed
by period as JSON or as CSV for DFB."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from pnm.holds import irregularities, irregularity_views
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.api.callers import AuthorityOfficer, IrregularityReader
from pnm.holds.api.cases import Moment, check_period
from pnm.holds.audit import Actor
from pnm.shared.contracts.limits import TEXT_MAX, Code, Reference
from pnm.shared.contracts.records import Irregularity, IrregularityParty, Record
from pnm.shared.http import AUTH_RESPONSES, Problem, invalid_field
from pnm.shared.service import ServiceContext

EXPORT_MAX = 10_000  # irregularities per export: a longer period is refused, never cut short
Statement = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class IrregularityIn(Record):
    finding: Statement
    measures_statement: Statement  # the inspector's written statement of measures
    goods: Statement
    parties: list[IrregularityParty] = Field(min_length=1, max_length=20)
    references: list[Reference] = Field(default_factory=list, max_length=99)
    bcp: Code


def add_irregularity_routes(router: APIRouter, ctx: ServiceContext) -> None:
    @router.post(
        "/holds/{hold_id}/irregularities",
        status_code=201,
        responses={
            **AUTH_RESPONSES,
            404: {"model": Problem, "description": "unknown hold"},
            409: {"model": Problem, "description": "the hold's state does not allow one"},
        },
        tags=["irregularities"],
    )
    async def record(hold_id: str, body: IrregularityIn, caller: AuthorityOfficer) -> Irregularity:
        """The hold's competent authority (PD: phyto, NVWA: vet) records an irregularity with
        its written statement of measures; published for DFB."""
        found = irregularities.Finding(
            finding=body.finding,
            measures_statement=body.measures_statement,
            goods=body.goods,
            parties=list(body.parties),
            references=list(body.references),
            bcp=body.bcp,
        )
        async with ctx.uow_factory() as uow:
            recorded = await irregularities.record(
                PostgresHoldStore(uow), hold_id, found, Actor.of(caller), ctx.clock()
            )
            await uow.commit()
        return recorded

    @router.get(
        "/irregularities",
        responses={
            **AUTH_RESPONSES,
            200: {"content": {"text/csv": {}}, "description": "JSON list, or CSV for DFB"},
        },
        tags=["irregularities"],
    )
    async def listed(
        caller: IrregularityReader,
        start: Annotated[Moment, Query(alias="from")],
        end: Annotated[Moment, Query(alias="to")],
        format: Literal["json", "csv"] = "json",
    ) -> Any:
        """Irregularities recorded in [`from`, `to`), oldest first, as JSON or as CSV with the
        documented column order (roles: pd-inspector, nvwa-inspector, customs-prearrival,
        admin)."""
        check_period(start, end)
        try:
            async with ctx.engine.connect() as conn:
                found = await irregularity_views.in_period(conn, start, end, EXPORT_MAX)
        except irregularities.TooMany as err:
            raise invalid_field("to", end.isoformat(), "period.too_many", str(err)) from err
        if format == "csv":
            return Response(
                irregularities.as_csv(found),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="irregularities.csv"'},
            )
        return [r.model_dump(mode="json") for r in found]
