"""A pre-notification used beyond its quantity (docs/quantity-budget.md), through the running
services (in-process transport, real PostgreSQL): two lines quote one CHED that declares the
goods of one; both go before a person and the CHED is flagged."""

from __future__ import annotations

from typing import Any

import httpx
from infra import bearer, eventually

from pnm.cli.scenarios import container, manifest_line, prenotification
from pnm.cli.services import ALL
from pnm.shared.contracts.records import ChedType, ManifestLine
from pnm.shared.runtime import Pipeline

CHED = "CHEDP.NL.2026.0088001"


async def test_a_ched_quoted_by_two_lines_for_the_goods_of_one_is_flagged(
    database_url: str,
) -> None:
    notice = prenotification(
        CHED, ched_type=ChedType.CHED_P, cn_code="02023090", description="Frozen beef",
        containers=[], net_mass_kg=16_500,
    )  # fmt: skip
    lines = [
        manifest_line(
            "QTY-1", n, hs_code="020230", description="Frozen beef", containers=[container(b)]
        ).model_copy(update={"document_references": [CHED]})
        for n, b in (("1", 880_001), ("2", 880_002))
    ]
    async with Pipeline(
        list(ALL.values()), database_url=database_url, transport="inprocess"
    ) as pipeline:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
        )

        async def settled() -> bool:
            return all([await hosted.relay.pending() == 0 for hosted in pipeline.services.values()])

        async def use() -> dict[str, Any]:
            response = await client.get(
                f"/matcher/notifications/{CHED}/lines", headers=bearer("nvwa-inspector")
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        async def declared(line: ManifestLine) -> dict[str, Any]:
            """The line declared; the CHED's use once the pipeline is at rest."""
            body = {"lines": [line.model_dump(mode="json")]}
            response = await client.post(
                "/manifest-ingest/lines", json=body, headers=bearer("feed:dmf")
            )
            assert response.status_code == 202, response.text
            await eventually(settled)
            return await use()

        response = await client.post(
            "/prenotification/prenotifications",
            json=notice.model_dump(mode="json"),
            headers=bearer("feed:vgc"),
        )
        assert response.status_code == 201, response.text
        alone = await declared(lines[0])
        assert alone["flags"] == [], alone
        assert [(x["line_id"], x["status"]) for x in alone["lines"]] == [("1", "notified")]

        both = await declared(lines[1])
        assert both["flags"] == ["quantity_exceeded"], both
        assert [(x["line_id"], x["status"], x["quantity_exceeded"]) for x in both["lines"]] == [
            ("1", "review", True),
            ("2", "review", True),
        ]
        detail = (
            await client.get("/matcher/decisions/QTY-1/1", headers=bearer("nvwa-inspector"))
        ).json()
        [why] = [r for r in detail["reasons"] if r["code"] == "quantity_exceeded"]
        assert "QTY-1/2" in why["text"]
