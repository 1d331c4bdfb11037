"""A pre-notification's quantity as a budget (docs/quantity-budget.md), through the running
services (in-process transport, real PostgreSQL): two lines quote one CHED that declares the
goods of one; both go before a person and the CHED is flagged. And the packages a line counts
are stored beside it and read back with the lines near a CHED."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from infra import bearer, eventually

from pnm.cli.services import ALL
from pnm.shared.contracts.records import ChedType, ManifestLine, PreNotification
from pnm.shared.runtime import Pipeline
from pnm.testing.records import container, manifest_line, prenotification

CHED = "CHEDP.NL.2026.0088001"

Declare = Callable[[ManifestLine], Awaitable[dict[str, Any]]]
Read = Callable[[str], Awaitable[dict[str, Any]]]


@asynccontextmanager
async def _running(
    database_url: str, notice: PreNotification
) -> AsyncIterator[tuple[Declare, Read]]:
    """The services with the CHED notified; a function that declares a line and returns the
    CHED's use (`GET /matcher/notifications/{reference}/lines`) once the pipeline is at rest,
    and one that reads a line's decision."""
    async with Pipeline(
        list(ALL.values()), database_url=database_url, transport="inprocess"
    ) as pipeline:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
        )

        async def settled() -> bool:
            return all([await hosted.relay.pending() == 0 for hosted in pipeline.services.values()])

        async def declared(line: ManifestLine) -> dict[str, Any]:
            body = {"lines": [line.model_dump(mode="json")]}
            response = await client.post(
                "/manifest-ingest/lines", json=body, headers=bearer("feed:dmf")
            )
            assert response.status_code == 202, response.text
            await eventually(settled)
            response = await client.get(
                f"/matcher/notifications/{notice.reference}/lines",
                headers=bearer("nvwa-inspector"),
            )
            assert response.status_code == 200, response.text
            use: dict[str, Any] = response.json()
            return use

        response = await client.post(
            "/prenotification/prenotifications",
            json=notice.model_dump(mode="json"),
            headers=bearer("feed:vgc"),
        )
        assert response.status_code == 201, response.text

        async def decision(path: str) -> dict[str, Any]:
            response = await client.get(
                f"/matcher/decisions/{path}", headers=bearer("nvwa-inspector")
            )
            assert response.status_code == 200, response.text
            detail: dict[str, Any] = response.json()
            return detail

        yield declared, decision


def _beef(line_id: str, box: int, *, quoting: bool, kg: float, packages: int) -> ManifestLine:
    return manifest_line(
        "QTY-1", line_id, hs_code="020230", description="Frozen beef", containers=[container(box)],
        gross_mass_kg=kg, packages=packages, document_references=[CHED] if quoting else None,
    )  # fmt: skip


def _notice(net_mass_kg: float, packages: int | None) -> PreNotification:
    return prenotification(
        CHED, ched_type=ChedType.CHED_P, cn_code="02023090", description="Frozen beef",
        containers=[], net_mass_kg=net_mass_kg, packages=packages,
    )  # fmt: skip


async def test_a_ched_quoted_by_two_lines_for_the_goods_of_one_is_flagged(
    database_url: str,
) -> None:
    async with _running(database_url, _notice(16_500, None)) as (declared, decision):
        one = _beef("1", 880_001, quoting=True, kg=18_000, packages=1_200)
        alone = await declared(one)
        assert alone["flags"] == [], alone
        assert [(x["line_id"], x["status"]) for x in alone["lines"]] == [("1", "notified")]

        both = await declared(_beef("2", 880_002, quoting=True, kg=18_000, packages=1_200))
        assert both["flags"] == ["quantity_exceeded"], both
        assert [(x["line_id"], x["status"], x["quantity_exceeded"]) for x in both["lines"]] == [
            ("1", "review", True),
            ("2", "review", True),
        ]
        [why] = [
            r for r in (await decision("QTY-1/1"))["reasons"] if r["code"] == "quantity_exceeded"
        ]
        assert "QTY-1/2" in why["text"]


async def test_the_packages_a_line_takes_are_not_left_for_a_weaker_candidate(
    database_url: str,
) -> None:
    """The mass leaves room (13,000 kg net against 14,000 + 7,000 kg gross), the 700 cartons do
    not: the line that only meets the CHED on vessel and importer is no candidate of it."""
    async with _running(database_url, _notice(13_000, 700)) as (declared, _):
        await declared(_beef("1", 880_011, quoting=True, kg=14_000, packages=700))
        use = await declared(_beef("2", 880_012, quoting=False, kg=7_000, packages=600))
        assert [(x["line_id"], x["status"]) for x in use["lines"]] == [("1", "notified")], use
