"""The request limits every service applies before a route reads the body (docs/limits.md),
and refused values quoted back so that any 422 can be encoded and stored."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request

from pnm.shared.http import HttpLimits, RequestLimits, raw_json
from pnm.shared.text import SHOWN_MAX, shown, storable


def app(limits: HttpLimits) -> FastAPI:
    application = FastAPI()
    application.add_middleware(RequestLimits, limits=limits)

    @application.post("/echo")
    async def echo(request: Request) -> Any:
        return await raw_json(request)

    return application


async def post(application: FastAPI, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/echo", **kwargs)


async def test_a_streamed_body_over_the_limit_is_a_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(10):
            yield b" " * 100

    response = await post(
        app(HttpLimits(max_body_bytes=500)),
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "500 bytes" in response.json()["detail"]


async def test_a_body_within_the_limits_reaches_the_route_unchanged() -> None:
    body = {"a": [1, {"b": "[[[{"}]}
    response = await post(app(HttpLimits(max_json_depth=3)), json=body)
    assert response.status_code == 200
    assert response.json() == body


async def test_a_body_without_a_json_media_type_is_a_415() -> None:
    for headers in ({"Content-Type": "text/plain"}, {}):
        response = await post(app(HttpLimits()), content=b"{}", headers=headers)
        assert response.status_code == 415


async def test_nesting_over_the_limit_is_a_422() -> None:
    response = await post(app(HttpLimits(max_json_depth=3)), json={"a": [[{}]]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "json.depth"


def test_a_refused_value_is_quoted_short_storable_and_encodable() -> None:
    quoted = shown("\ud800" + "x" * 1000)
    assert quoted is not None and len(quoted) == SHOWN_MAX
    assert quoted.startswith("\ufffd")
    json.dumps(quoted, ensure_ascii=False).encode("utf-8")
    assert shown(math.nan) == "nan"
    assert shown(None) is None


def test_numbers_jsonb_cannot_hold_are_kept_as_text() -> None:
    assert storable({"mass": [math.inf, -math.inf, math.nan, 1.5]}) == {
        "mass": ["inf", "-inf", "nan", 1.5]
    }
