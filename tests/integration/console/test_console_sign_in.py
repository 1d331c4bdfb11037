"""Every page of the console asks who is looking before it does anything: without a token a
page sends the person to sign in (an htmx fragment says where, with a 401), a token of a feed
or a terminal gets a 403 page, and nothing is stored either way. (The console's API routes are
checked with every service's in test_authorise_first.py.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from infra import bearer
from sqlalchemy import func, select

from pnm.cli.services import ALL
from pnm.shared.runtime import Pipeline

CONSOLE = ALL["console"]
OPEN = {"/login", "/login/token", "/logout", "/language"}  # sign-in and the language switch
NOT_OFFICIALS = [("feed:vgc",), ("terminal:ECTDELTA",), ("feed:dmf", "terminal:RWG")]


@pytest.fixture
async def pipeline(database_url: str) -> AsyncIterator[Pipeline]:
    async with Pipeline([CONSOLE], database_url=database_url, transport="inprocess") as hosted:
        yield hosted


def routes(router: Any) -> Iterator[Any]:
    """Every route of a router, inside the routers it includes too."""
    for route in router.routes:
        included = getattr(route, "original_router", None)
        yield from routes(included) if included is not None else (route,)


def pages(pipeline: Pipeline) -> list[tuple[str, str]]:
    hosted = pipeline.services["console"]
    found = [
        (method, "/console" + re.sub(r"{[^}]+}", "x", route.path))
        for router in pipeline.service_routers(hosted)
        for route in routes(router)
        if isinstance(route, APIRoute) and not route.include_in_schema and route.path not in OPEN
        for method in sorted(route.methods or ())
    ]
    assert len(found) >= 15, found  # overview, queues, line, hold, case, actions, ...
    return found


async def stored(pipeline: Pipeline) -> dict[str, int]:
    async with pipeline.engine.connect() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in CONSOLE.tables.metadata.sorted_tables
        }


async def test_without_a_token_every_page_asks_to_sign_in(pipeline: Pipeline) -> None:
    before = await stored(pipeline)
    wrong: dict[str, object] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
    ) as client:
        for method, path in pages(pipeline):
            plain = await client.request(method, path, data={"reason": "x"})
            if plain.status_code != 303 or "/console/login" not in plain.headers["location"]:
                wrong[f"{method} {path}"] = plain.status_code
            fragment = await client.request(method, path, headers={"HX-Request": "true"})
            if fragment.status_code != 401 or "/console/login" not in fragment.headers.get(
                "HX-Redirect", ""
            ):
                wrong[f"{method} {path} (htmx)"] = fragment.status_code
    assert wrong == {}
    assert await stored(pipeline) == before


@pytest.mark.parametrize("roles", NOT_OFFICIALS)
async def test_a_token_that_is_not_an_officials_gets_a_refusal_page(
    pipeline: Pipeline, roles: tuple[str, ...]
) -> None:
    before = await stored(pipeline)
    wrong: dict[str, int] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=pipeline.app), base_url="http://pnm"
    ) as client:
        for method, path in pages(pipeline):
            response = await client.request(method, path, headers=bearer(*roles))
            if response.status_code != 403 or "required" not in response.text:
                wrong[f"{method} {path}"] = response.status_code
            elif not response.headers["content-type"].startswith("text/html"):
                wrong[f"{method} {path} (not a page)"] = response.status_code
    assert wrong == {}
    assert await stored(pipeline) == before
