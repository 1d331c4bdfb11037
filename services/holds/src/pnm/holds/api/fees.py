"""`GET /holds/{hold_id}/fee-estimate`: the estimated KCB inspection fee of a phyto hold
(docs/fees.md), for officials. A veterinary hold has no KCB fee: 409."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from pnm.holds import views
from pnm.holds.adapters.tariffs import current_tariff
from pnm.holds.domain.fees import (
    Check,
    FeeEstimate,
    Inspection,
    ManifestGoods,
    Unestimable,
    estimate,
)
from pnm.shared.access import OfficialReader
from pnm.shared.contracts.records import GoodsSummary, Regime
from pnm.shared.http import AUTH_RESPONSES, DomainError, Problem, invalid_field
from pnm.shared.service import ServiceContext

MINUTES_MAX = 24 * 60  # one inspection, one day at most
STEMS_MAX = 100_000_000


class FeeAnswer(BaseModel):
    hold_id: str
    tariff_version: str
    estimable: bool
    estimate: FeeEstimate | None
    reasons: list[Unestimable]


def goods_of(stored: list[dict[str, Any]] | None) -> list[ManifestGoods]:
    """The hold's goods (a list of GoodsSummary as the opening decision had it)."""
    summaries = [GoodsSummary.model_validate(g) for g in stored or []]
    return [
        ManifestGoods(
            s.item, s.cn_code, s.description, Decimal(str(s.gross_mass_kg)), s.country_of_origin
        )
        for s in summaries
    ]


def add_fee_route(router: APIRouter, ctx: ServiceContext) -> None:
    """Adds the route to the holds router itself (an AuthoriseFirst router): FastAPI includes
    another router lazily, out of sight of the route walks that check every route's roles."""
    tariff = current_tariff()  # a malformed tariff file stops the service here, at start

    @router.get(
        "/holds/{hold_id}/fee-estimate",
        responses={
            **AUTH_RESPONSES,
            404: {"model": Problem, "description": "unknown hold"},
            409: {"model": Problem, "description": "a veterinary hold: no KCB fee"},
        },
    )
    async def fee_estimate(
        hold_id: str,
        caller: OfficialReader,
        check: Check,
        start: Annotated[AwareDatetime, Query(description="planned start, with its offset")],
        minutes: Annotated[int | None, Query(ge=1, le=MINUTES_MAX)] = None,
        percentage: Annotated[int | None, Query(ge=1, le=99)] = None,
        stems: Annotated[int | None, Query(ge=1, le=STEMS_MAX)] = None,
    ) -> FeeAnswer:
        """The estimated inspection fee of a phyto hold (roles: officials). A full check needs
        `minutes`; a reduced check its inspection `percentage`, and `stems` for cut flowers.
        `estimable: false` with the reasons when the hold's goods allow no estimate."""
        if check is Check.FULL and minutes is None:
            raise invalid_field("minutes", None, "required_for_full_check", "give the minutes")
        if check is Check.REDUCED and percentage is None:
            raise invalid_field(
                "percentage", None, "required_for_reduced_check", "give the percentage"
            )
        async with ctx.engine.connect() as conn:
            row = await views.kept(conn, hold_id)
        if row is None:
            raise DomainError(404, f"no hold {hold_id!r}")
        if row.regime != Regime.PHYTO.value:
            raise DomainError(
                409,
                f"hold {hold_id} is a {row.regime} hold: KCB inspection fees apply to phyto "
                "holds only",
            )
        inspection = Inspection(check, start, minutes, percentage, stems)
        result = estimate(goods_of(row.goods), inspection, tariff)
        if isinstance(result, FeeEstimate):
            return FeeAnswer(
                hold_id=hold_id,
                tariff_version=result.tariff_version,
                estimable=True,
                estimate=result,
                reasons=[],
            )
        return FeeAnswer(
            hold_id=hold_id,
            tariff_version=result.tariff_version,
            estimable=False,
            estimate=None,
            reasons=list(result.reasons),
        )
